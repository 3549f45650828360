// Issue 5: stop a sink under load. The other sinks keep flowing at the rate of the input, the stopped sink's
// records wait in its disk queue (bounded; the agent's RSS stays under 150 MB) and all arrive when it returns.
// The outage lasts E2E_OUTAGE_SECONDS (default 60; the "several minutes" is E2E_OUTAGE_SECONDS=300).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { ensureServices, runEnv, type Endpoints } from '../setup/env';
import { AgentProcess, FlinkLogWriter, freePort, removeRunData, waitFor } from './harness';

const OUTAGE_S = Number(process.env.E2E_OUTAGE_SECONDS ?? 60);
const RATE = 2000; // records per second written into the Flink log while OpenSearch is down
const RSS_LIMIT = 150 * 1024 * 1024;

describe('one sink down under load [needs: OpenSearch, PostgreSQL; start: scripts/env up --only opensearch,postgres]', function () {
  this.timeout((OUTAGE_S + 600) * 1000);
  const run = `out${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
  const dir = mkdtempSync(join(tmpdir(), 'fta-e2e-outage-'));
  let env: Endpoints;
  let agent: AgentProcess;
  let writer: FlinkLogWriter;

  before(async () => {
    env = await ensureServices(['opensearch', 'postgres']);
    mkdirSync(join(dir, 'log'));
    const port = await freePort();
    const pg = env.postgres;
    writeFileSync(
      join(dir, 'agent.yaml'),
      `agent: { cluster: ${run}, node: e2e-node, data_dir: ${dir}/data, http: { listen: "127.0.0.1:${port}" }, log: { format: json } }
sources:
  logs: { type: flink_logs, paths: ["${dir}/log/*.log"], scan_interval: 500ms }
sinks:
  search:
    type: opensearch
    inputs: [logs]
    url: ${env.opensearch}
    index_prefix: ${run}-logs
    number_of_replicas: 0
    retry: { max_backoff: 2s }
  pg:
    type: postgres
    inputs: [logs]
    host: ${pg.host}
    port: ${pg.port}
    user: ${pg.user}
    database: ${pg.database}
    schema: ${run}
`,
    );
    agent = new AgentProcess(join(dir, 'agent.yaml'), join(dir, 'agent.out'), port);
  });

  after(async () => {
    writer?.stop();
    await agent?.terminate().catch(() => undefined);
    await runEnv(['up', '--only', 'opensearch']).catch(() => undefined);
    await removeRunData(env, run);
  });

  it(`keeps PostgreSQL flowing while OpenSearch is down for ${OUTAGE_S}s, then delivers the backlog`, async () => {
    const total = RATE * OUTAGE_S;
    writer = new FlinkLogWriter(join(dir, 'log', 'flink-e2e-taskexecutor-0-e2e.log'), total, RATE / 10, run);
    agent.start();
    await agent.waitHealthy();
    const pg = new Client(env.postgres);
    await pg.connect();
    const pgCount = async () => Number((await pg.query(`SELECT count(*) AS n FROM ${run}.logs`).catch(() => ({ rows: [{ n: 0 }] }))).rows[0].n);
    await waitFor('the PostgreSQL schema', async () => (await pg.query(`SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = 'logs'`, [run])).rowCount === 1, 60_000);

    await runEnv(['down', '--only', 'opensearch']);
    const started = Date.now();
    writer.start(100);
    let maxRss = 0;
    let maxLag = 0;
    while (Date.now() - started < OUTAGE_S * 1000) {
      await new Promise((r) => setTimeout(r, 1000));
      maxRss = Math.max(maxRss, agent.rss());
      // Lag of the healthy sink behind the input, in records: it must stay within a few seconds of input.
      if (Date.now() - started > 5000) maxLag = Math.max(maxLag, writer.written - (await pgCount()));
    }
    await writer.finished;
    const during = await agent.status();
    const search = during.components.find((c) => c.name === 'search')!;
    assert.ok(['retrying', 'failing'].includes(search.state), `OpenSearch sink shows its outage in /status (state ${search.state})`);
    assert.match(search.lastError ?? '', /ECONNREFUSED|unreachable|connect/i, 'the last error names the cause');
    const queued = Number((search.details ?? {})['queuedEvents'] ?? 0);
    assert.ok(queued > total * 0.5, `the backlog waits in the disk queue (${queued} queued)`);
    assert.ok(maxLag < RATE * 5, `PostgreSQL kept up with the input during the outage (max lag ${maxLag} records)`);
    assert.ok(maxRss < RSS_LIMIT, `RSS stayed under 150 MB during the outage (max ${(maxRss / 1048576).toFixed(1)} MB)`);

    await runEnv(['up', '--only', 'opensearch']);
    const osCount = async () => {
      await fetch(`${env.opensearch}/${run}-logs-*/_refresh`, { method: 'POST' }).catch(() => undefined);
      const r = (await (await fetch(`${env.opensearch}/${run}-logs-*/_count`)).json().catch(() => ({}))) as { count?: number };
      return r.count ?? 0;
    };
    await waitFor(`all ${total} records in OpenSearch after it returned`, async () => (await osCount()) >= total, 300_000, 2000);
    assert.equal(await osCount(), total, 'OpenSearch holds each record once');
    assert.equal(await pgCount(), total, 'PostgreSQL holds each record once');
    await pg.end();
    process.stdout.write(`      outage ${OUTAGE_S}s at ${RATE} records/s: max RSS ${(maxRss / 1048576).toFixed(1)} MB, max PostgreSQL lag ${maxLag} records, backlog ${queued}\n`);
  });
});
