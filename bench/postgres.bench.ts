// postgres sink throughput. Three ways to load the same rows into identical, freshly migrated schemas:
//   agent     PostgresSink.send: INSERT … SELECT FROM unnest(arrays) (samples) / json_to_recordset (logs)
//             ON CONFLICT DO NOTHING, 1000 rows a batch
//   staging   the alternative we measured: COPY into a temp table + INSERT … SELECT … ON CONFLICT DO NOTHING
//   psql      `psql -c "\copy … from stdin"` of all rows at once: the floor (no idempotency, no batching)
// Target: agent / psql rows/s ≥ 0.8 is not expected here — psql has neither ON CONFLICT nor batch
// boundaries; the figure that decides the ingestion method is agent vs staging (same guarantees).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { Client, type PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { LogRecord, Sample, TelemetryRecord } from '../src/model';
import { postgresSink } from '../src/sinks/postgres';
import type { PostgresSink } from '../src/sinks/postgres/sink';
import { createPool } from '../src/sinks/postgres/client';
import { encodeBatch, SeriesCache, type EncodedBatch } from '../src/sinks/postgres/encode';
import { dayStart } from '../src/sinks/shared/days';
import { ensureServices } from '../test/setup/env';
import type { BenchResult } from './types';
import { inPool, measure, silentContext } from './support';

const SAMPLES = Number(process.env.BENCH_PG_SAMPLES ?? 200_000);
const LOGS = Number(process.env.BENCH_PG_LOGS ?? 50_000);
const BATCH = 1000;
const CONCURRENCY = 2;


// All rows fall in today's UTC day, whose partition start() creates, so no path pays for partition creation.
const base = dayStart(Date.now()) + 60_000;
const samples: Sample[] = Array.from({ length: SAMPLES }, (_, i) => ({
  kind: 'sample',
  name: `flink_taskmanager_job_task_operator_numRecordsIn`,
  labels: { cluster: 'c1', node: 'n1', job_name: 'TopSpeedWindowing', task_name: 'Window', subtask_index: String(i % 500), tm_id: `tm-${i % 2}` },
  value: i * 1.5,
  timestampMs: base + i,
}));
const logs: LogRecord[] = Array.from({ length: LOGS }, (_, i) => ({
  kind: 'log',
  id: `n1:flink-taskexecutor-0.log:${i * 180}`,
  logKind: 'log',
  timestampMs: base + i,
  level: 'INFO',
  message: `Window (${i % 4 + 1}/4)#0 switched from INITIALIZING to RUNNING. Checkpoint ${i} acknowledged in ${i % 300} ms "quoted" \\ back`,
  logger: 'org.apache.flink.runtime.taskmanager.Task',
  thread: `Window (${i % 4 + 1}/4)#0`,
  component: 'taskmanager',
  stream: 'log',
  attributes: { job_id: '3f2a9c0d1e2f3a4b5c6d7e8f9a0b1c2d', checkpoint_id: String(i) },
  labels: { cluster: 'c1', node: 'n1', env: 'bench' },
}));



/** COPY text format: backslash escapes, \N for NULL. */
const esc = (v: string | number | null): string =>
  v === null ? '\\N' : typeof v === 'number' ? String(v) : v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
const iso = (ms: number): string => new Date(ms).toISOString();

function samplesText(b: EncodedBatch): string {
  let out = '';
  for (let i = 0; i < b.samples.seriesId.length; i++) out += `${b.samples.seriesId[i]}\t${iso(b.samples.tsMs[i]!)}\t${esc(b.samples.value[i]!)}\n`;
  return out;
}
function logsText(b: EncodedBatch): string {
  let out = '';
  const j = (v: unknown) => (v === null ? null : JSON.stringify(v));
  for (const r of b.logs) {
    out += [esc(r.id), iso(r.ms), esc(r.level), esc(r.logger), esc(r.message), esc(r.thread), esc(r.component), esc(r.stream),
      esc(r.kind), esc(r.node), esc(r.cluster), esc(j(r.exception)), esc(j(r.attributes)), esc(j(r.labels))].join('\t') + '\n';
  }
  return out;
}
const LOG_COLS = 'id, ts, level, logger, message, thread, component, stream, log_kind, node, cluster, exception, attributes, labels';

/** The alternative ingestion: COPY into per-connection temp tables, then INSERT … ON CONFLICT DO NOTHING. */
async function stagingInsert(client: PoolClient, schema: string, b: EncodedBatch): Promise<void> {
  await client.query('BEGIN');
  await client.query(`CREATE TEMP TABLE IF NOT EXISTS stage_samples (series_id bigint, ts timestamptz, value float8) ON COMMIT DELETE ROWS`);
  await client.query(`CREATE TEMP TABLE IF NOT EXISTS stage_logs (LIKE "${schema}".logs) ON COMMIT DELETE ROWS`);
  if (b.series.id.length) await client.query(`INSERT INTO "${schema}".series (id, name, labels) SELECT * FROM unnest($1::bigint[], $2::text[], $3::jsonb[]) ON CONFLICT DO NOTHING`, [b.series.id, b.series.name, b.series.labels]);
  if (b.samples.seriesId.length) {
    await pipeline(Readable.from([samplesText(b)]), client.query(copyFrom('COPY stage_samples FROM STDIN')));
    await client.query(`INSERT INTO "${schema}".samples SELECT * FROM stage_samples ON CONFLICT DO NOTHING`);
  }
  if (b.logs.length) {
    await pipeline(Readable.from([logsText(b)]), client.query(copyFrom(`COPY stage_logs (${LOG_COLS}) FROM STDIN`)));
    await client.query(`INSERT INTO "${schema}".logs SELECT * FROM stage_logs ON CONFLICT DO NOTHING`);
  }
  await client.query('COMMIT');
}

/** `psql -c "\copy …"` with `text` on stdin; returns psql's own CPU seconds (bash `times`, children line). */
function psqlCopy(pg: { host: string; port: number; user: string; database: string }, table: string, cols: string, text: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const cmd = `psql -v ON_ERROR_STOP=1 -q -h ${pg.host} -p ${pg.port} -U ${pg.user} -d ${pg.database} -c "\\copy ${table} (${cols}) from stdin" >/dev/null && times`;
    const child = spawn('bash', ['-c', cmd], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`psql failed (${code}): ${err}`));
      const m = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(out.trim());
      resolve(m ? Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]) : Number.NaN);
    });
    child.stdin.end(text);
  });
}

export async function run(): Promise<BenchResult> {
  const pg = (await ensureServices(['postgres'])).postgres;
  const suffix = randomBytes(3).toString('hex');
  const schemas = { agent: `fta_bench_agent_${suffix}`, staging: `fta_bench_staging_${suffix}`, psql: `fta_bench_psql_${suffix}` };
  const make = (schema: string) => postgresSink.create(postgresSink.schema.parse({ type: 'postgres', inputs: ['x'], ...pg, schema, pool_size: CONCURRENCY + 1 }), silentContext()) as PostgresSink;
  const sinks = Object.values(schemas).map(make);
  const signal = new AbortController().signal;
  const stagingPool = createPool(postgresSink.schema.parse({ type: 'postgres', inputs: ['x'], ...pg, pool_size: CONCURRENCY }), 'bench');
  const admin = new Client(pg);
  await admin.connect();
  try {
    for (const s of sinks) await s.start(signal);
    const agent = sinks[0]!;
    const metrics: Record<string, number> = { samples: SAMPLES, logs: LOGS };
    for (const [kind, rows, table, cols] of [
      ['samples', samples, 'samples', 'series_id, ts, value'],
      ['logs', logs, 'logs', LOG_COLS],
    ] as Array<[string, TelemetryRecord[], string, string]>) {
      const batches = Math.ceil(rows.length / BATCH);
      const slice = (b: number) => rows.slice(b * BATCH, (b + 1) * BATCH);
      let failures = 0;
      const cache = new SeriesCache();
      const agentBatch = async (b: number) => {
        if ((await agent.send(slice(b), { signal, attempt: 1 })).kind !== 'ok') failures++;
      };
      const stagingBatch = async (b: number) => {
        const enc = encodeBatch(slice(b), cache);
        const client = await stagingPool.connect();
        try {
          await stagingInsert(client, schemas.staging, enc);
          cache.settle(enc.series.id, true);
        } finally {
          client.release();
        }
      };
      // Rounds alternate (agent, staging, agent, …) over slices of the batches so table growth, checkpoints and
      // other load on the machine hit both alike; the totals are summed.
      const a = { wall: 0, cpu: 0 };
      const st = { wall: 0, cpu: 0 };
      const rounds = 4;
      const per = Math.ceil(batches / rounds);
      for (let r = 0; r < rounds; r++) {
        const from = r * per;
        const n = Math.max(0, Math.min(batches, from + per) - from);
        const first = await measure(() => inPool(n, CONCURRENCY, (b) => agentBatch(from + b)));
        const second = await measure(() => inPool(n, CONCURRENCY, (b) => stagingBatch(from + b)));
        a.wall += first.wall;
        a.cpu += first.cpu;
        st.wall += second.wall;
        st.cpu += second.cpu;
      }
      // psql's input is built before its clock starts: the floor is the server's and psql's work only.
      const all = encodeBatch(rows, new SeriesCache());
      const text = kind === 'samples' ? samplesText(all) : logsText(all);
      const t0 = process.hrtime.bigint();
      const psqlCpu = await psqlCopy(pg, `${schemas.psql}.${table}`, cols, text);
      const psqlWall = Number(process.hrtime.bigint() - t0) / 1e9;
      const stored = async (schema: string) => Number((await admin.query(`SELECT count(*) AS n FROM "${schema}".${table}`)).rows[0].n);
      metrics[`agent_${kind}_per_s`] = Math.round(rows.length / a.wall);
      metrics[`staging_${kind}_per_s`] = Math.round(rows.length / st.wall);
      metrics[`psql_copy_${kind}_per_s`] = Math.round(rows.length / psqlWall);
      metrics[`${kind}_ratio_agent_vs_psql`] = psqlWall / a.wall;
      metrics[`${kind}_ratio_agent_vs_staging`] = st.wall / a.wall;
      metrics[`agent_${kind}_cpu_s_per_million`] = (a.cpu / rows.length) * 1e6;
      metrics[`staging_${kind}_cpu_s_per_million`] = (st.cpu / rows.length) * 1e6;
      metrics[`psql_${kind}_cpu_s_per_million`] = (psqlCpu / rows.length) * 1e6;
      metrics[`${kind}_failed_batches`] = failures;
      metrics[`${kind}_stored_agent`] = await stored(schemas.agent);
      metrics[`${kind}_stored_staging`] = await stored(schemas.staging);
      metrics[`${kind}_stored_psql`] = await stored(schemas.psql);
    }
    return {
      name: 'postgres',
      metrics,
      notes: [
        `${SAMPLES} samples (500 series) and ${LOGS} log records, ${BATCH} rows a batch, ${CONCURRENCY} in flight; PostgreSQL on loopback; each path into its own freshly migrated schema`,
        'agent = PostgresSink.send (samples: unnest, logs: json_to_recordset; ON CONFLICT; one transaction a batch); staging = COPY → temp table → INSERT ON CONFLICT; psql = one \\copy of all rows, no ON CONFLICT',
        'CPU seconds: this Node process (process.cpuUsage) for agent/staging, psql\'s own (bash times) for psql; the server\'s CPU is not counted',
      ],
    };
  } finally {
    for (const schema of Object.values(schemas)) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await admin.end();
    await stagingPool.end();
    for (const s of sinks) await s.close();
  }
}
