// Issue 5, delivery proven against the real servers: the agent is killed with SIGKILL ten times during a steady
// stream of Flink log lines and reporter metrics; afterwards every log line is in OpenSearch and in PostgreSQL
// exactly once, and every sample is queryable in Prometheus, VictoriaMetrics and InfluxDB.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { ensureServices, type Endpoints } from '../setup/env';
import { AgentProcess, FlinkLogWriter, freePort, removeRunData, waitFor } from './harness';

const KILLS = 10;
const RECORDS = 5000;
/** Metrics the test follows through every backend: one JobManager series and one per TaskManager. */
const FOLLOWED = ['flink_jobmanager_numRegisteredTaskManagers', 'flink_taskmanager_Status_JVM_CPU_Load'];

describe('delivery under SIGKILL [needs: Flink, OpenSearch, PostgreSQL, Prometheus, VictoriaMetrics, InfluxDB; start: scripts/env up]', function () {
  this.timeout(15 * 60 * 1000);
  const run = `e2e${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
  const dir = mkdtempSync(join(tmpdir(), 'fta-e2e-kill-'));
  let env: Endpoints;
  let agent: AgentProcess;
  let writer: FlinkLogWriter;
  const kills: number[] = [];

  before(async () => {
    env = await ensureServices(['flink', 'opensearch', 'postgres', 'prometheus', 'victoriametrics', 'influxdb']);
    mkdirSync(join(dir, 'log'));
    const port = await freePort();
    const pg = env.postgres;
    const [lo, hi] = env.flinkReporterPorts;
    writeFileSync(
      join(dir, 'agent.yaml'),
      `agent:
  cluster: ${run}
  node: e2e-node
  data_dir: ${dir}/data
  http: { listen: "127.0.0.1:${port}" }
  log: { level: info, format: json }
sources:
  logs:
    type: flink_logs
    paths: ["${dir}/log/*.log"]
    scan_interval: 500ms
  reporters:
    type: flink_prometheus
    interval: 1s
    host: 127.0.0.1
    ports: "${lo}-${hi}"
    include: [${FOLLOWED.join(', ')}]
sinks:
  search:
    type: opensearch
    inputs: [logs]
    url: ${env.opensearch}
    index_prefix: ${run}-logs
    number_of_replicas: 0
    batch: { max_events: 500, timeout: 200ms }
  pg:
    type: postgres
    inputs: [logs, reporters]
    host: ${pg.host}
    port: ${pg.port}
    user: ${pg.user}
    database: ${pg.database}
    schema: ${run}
    batch: { max_events: 500, timeout: 200ms }
  prom:
    type: prometheus_remote_write
    inputs: [reporters]
    url: ${env.prometheus}/api/v1/write
    batch: { timeout: 200ms }
  vm:
    type: prometheus_remote_write
    inputs: [reporters]
    url: ${env.victoriametrics}/api/v1/write
    batch: { timeout: 200ms }
  influx:
    type: influxdb
    inputs: [reporters]
    url: ${env.influxdb}
    database: ${run}
    create_database: true
    batch: { timeout: 200ms }
  ledger:
    type: file
    inputs: [reporters]
    batch: { timeout: 200ms }
`,
    );
    agent = new AgentProcess(join(dir, 'agent.yaml'), join(dir, 'agent.out'), port);
  });

  after(async () => {
    writer?.stop();
    await agent?.terminate().catch(() => undefined);
    await removeRunData(env, run);
  });

  it(`loses and duplicates nothing across ${KILLS} kill -9 restarts`, async () => {
    writer = new FlinkLogWriter(join(dir, 'log', 'flink-e2e-taskexecutor-0-e2e.log'), RECORDS, 40, run, Math.floor(RECORDS / 2));
    agent.start();
    await agent.waitHealthy();
    writer.start(50); // ~800 records/s, so the stream is still flowing through the kills
    for (let k = 0; k < KILLS; k++) {
      await new Promise((r) => setTimeout(r, 1500 + Math.random() * 2000));
      kills.push(Date.now());
      await agent.kill9();
      agent.start();
      await agent.waitHealthy();
    }
    await writer.finished;
    await new Promise((r) => setTimeout(r, 12_000)); // scrape rounds after the last kill, outside every kill window

    // Every record in OpenSearch and PostgreSQL, exactly once (the ids are deterministic, so replays are stored once).
    const osCount = async () => {
      await fetch(`${env.opensearch}/${run}-logs-*/_refresh`, { method: 'POST' });
      const r = (await (await fetch(`${env.opensearch}/${run}-logs-*/_count`)).json()) as { count?: number };
      return r.count ?? 0;
    };
    const pg = new Client(env.postgres);
    await pg.connect();
    const pgCount = async () => Number((await pg.query(`SELECT count(*) AS n FROM ${run}.logs`).catch(() => ({ rows: [{ n: 0 }] }))).rows[0].n);
    await waitFor(`all ${RECORDS} records in OpenSearch and PostgreSQL`, async () => (await osCount()) >= RECORDS && (await pgCount()) >= RECORDS, 180_000, 1000);
    await new Promise((r) => setTimeout(r, 2000)); // anything still in flight would show up as a duplicate now

    const hits = (await (
      await fetch(`${env.opensearch}/${run}-logs-*/_search?size=10000&_source=message`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":{"match_all":{}}}' })
    ).json()) as { hits: { total: { value: number }; hits: Array<{ _source: { message: string } }> } };
    const seqOf = (m: string) => Number(/record (\d+)/.exec(m)?.[1]);
    const osSeqs = hits.hits.hits.map((h) => seqOf(h._source.message));
    const expected = Array.from({ length: RECORDS }, (_, i) => i + 1);
    assert.equal(hits.hits.total.value, RECORDS, 'OpenSearch holds each record once');
    assert.deepEqual([...osSeqs].sort((a, b) => a - b), expected, 'OpenSearch holds every record');
    const pgRows = (await pg.query(`SELECT message FROM ${run}.logs`)).rows as Array<{ message: string }>;
    assert.equal(pgRows.length, RECORDS, 'PostgreSQL holds each record once');
    assert.deepEqual(pgRows.map((r) => seqOf(r.message)).sort((a, b) => a - b), expected, 'PostgreSQL holds every record');
    // The stack traces arrived joined to their header, not as records of their own.
    const errors = (await pg.query(`SELECT count(*) AS n FROM ${run}.logs WHERE exception->>'type' = 'java.lang.IllegalStateException'`)).rows[0].n;
    assert.equal(Number(errors), RECORDS / 25);

    // A graceful stop flushes every sink; the ledger is read after it, so both sides end at the same sample.
    const statusBeforeStop = await agent.status();
    assert.equal(await agent.terminate(), 0, 'SIGTERM exits 0');

    // Every sample that entered the pipeline (the file sink's ledger) is queryable in each metrics backend. A scrape
    // in flight at the moment of a kill was never acknowledged and cannot be replayed (the reporter has moved on),
    // so samples stamped within 2 s before a kill are left out of the comparison — in both directions.
    const inKillWindow = (ts: number) => kills.some((k) => ts > k - 2000 && ts <= k + 200);
    const ledger = new Map<string, number[]>(FOLLOWED.map((n) => [n, []]));
    for (const f of readdirSync(join(dir, 'data', 'out'))) {
      for (const line of readFileSync(join(dir, 'data', 'out', f), 'utf8').split('\n')) {
        if (!line) continue;
        const s = JSON.parse(line) as { kind: string; name: string; timestampMs: number; stale?: boolean };
        if (s.kind === 'sample' && !s.stale && ledger.has(s.name) && !inKillWindow(s.timestampMs)) ledger.get(s.name)!.push(s.timestampMs);
      }
    }
    const sorted = (a: number[]) => [...a].sort((x, y) => x - y);
    for (const name of FOLLOWED) assert.ok(ledger.get(name)!.length >= 10, `the ledger has ${name} samples (${ledger.get(name)!.length})`);

    await fetch(`${env.victoriametrics}/internal/force_flush`).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 2000));
    for (const name of FOLLOWED) {
      const want = sorted(ledger.get(name)!);
      const prom = (await (await fetch(`${env.prometheus}/api/v1/query?query=${encodeURIComponent(`${name}{cluster="${run}"}[1h]`)}`)).json()) as {
        data: { result: Array<{ values: Array<[number, string]> }> };
      };
      const promTs = prom.data.result.flatMap((r) => r.values.map(([t]) => Math.round(t * 1000))).filter((t) => !inKillWindow(t));
      assert.deepEqual(sorted(promTs), want, `Prometheus has every ${name} sample`);

      const vmText = await (await fetch(`${env.victoriametrics}/api/v1/export?match[]=${encodeURIComponent(`${name}{cluster="${run}"}`)}`)).text();
      const vmTs = vmText.split('\n').filter(Boolean).flatMap((l) => (JSON.parse(l) as { timestamps: number[] }).timestamps).filter((t) => !inKillWindow(t));
      assert.deepEqual(sorted(vmTs), want, `VictoriaMetrics has every ${name} sample`);

      const q = `SELECT "value" FROM "${name}" WHERE "cluster" = '${run}'`;
      const influx = (await (await fetch(`${env.influxdb}/query?db=${run}&epoch=ms&q=${encodeURIComponent(q)}`)).json()) as {
        results: Array<{ series?: Array<{ values: Array<[number, number]> }> }>;
      };
      const influxTs = (influx.results[0]?.series ?? []).flatMap((s) => s.values.map(([t]) => t)).filter((t) => !inKillWindow(t));
      assert.deepEqual(sorted(influxTs), want, `InfluxDB has every ${name} sample`);
    }
    await pg.end();

    // Nothing was dead-lettered or dropped on the way.
    for (const c of statusBeforeStop.components.filter((x) => x.kind === 'sink')) {
      const counters = (c.details?.['counters'] ?? {}) as Record<string, number>;
      assert.equal(counters['deadLettered'] ?? 0, 0, `${c.name} dead-lettered nothing`);
      assert.equal(counters['dropped'] ?? 0, 0, `${c.name} dropped nothing`);
    }
  });
});
