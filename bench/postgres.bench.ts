// postgres sink throughput: the same rows loaded three ways into identical, freshly migrated schemas, with the same
// batches (1000 rows), the same concurrency (2 sessions / 2 in flight) and one transaction (or one statement) a batch:
//   agent       PostgresSink.send: samples and logs by binary COPY; a batch whose rows are partly stored already
//               (a replay) goes again as INSERT … ON CONFLICT DO NOTHING
//   psql        two `psql` sessions running a script rendered before the clock starts: per batch BEGIN; COPY
//               into a temp table; INSERT … SELECT … ON CONFLICT DO NOTHING; COMMIT — the job the agent must do
//               (a batch may be a replay and must then change nothing), done by psql COPY. THE target baseline.
//   psql_raw    the same sessions and batches, COPY straight into the table: no conflict handling, so a replay
//               would fail. Not the agent's job; the floor, for scale.
// Why psql does not COPY straight into the table for the target: COPY has no ON CONFLICT, so a replayed batch
// would fail for good (23505) where the agent's must succeed without duplicates. Staging + ON CONFLICT is how
// psql does that job; the agent's COPY + fallback is its own way of doing the same job.
// Target: agent / psql rows/s ≥ 0.8. CPU seconds per million rows: this process for the agent, psql's own.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { LogRecord, Sample, TelemetryRecord } from '../src/model';
import { postgresSink } from '../src/sinks/postgres';
import type { PostgresSink } from '../src/sinks/postgres/sink';
import { encodeBatch, StoredSeries, type EncodedBatch } from '../src/sinks/postgres/encode';
import { dayStart } from '../src/sinks/shared/days';
import { ensureServices } from '../test/setup/env';
import type { BenchResult } from './types';
import { inPool, measure, silentContext } from './support';

const SAMPLES = Number(process.env.BENCH_PG_SAMPLES ?? 200_000);
const LOGS = Number(process.env.BENCH_PG_LOGS ?? 50_000);
const BATCH = 1000;
const CONCURRENCY = 2;
const ROUNDS = 4;

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
const json = (v: unknown): string | null => (v === null ? null : JSON.stringify(v));

const TABLES = {
  series: { cols: 'id, name, labels', rows: (b: EncodedBatch) => b.series.id.map((id, i) => `${id}\t${esc(b.series.name[i]!)}\t${esc(b.series.labels[i]!)}\n`).join('') },
  samples: { cols: 'series_id, ts, value', rows: (b: EncodedBatch) => b.samples.seriesId.map((id, i) => `${id}\t${iso(b.samples.tsMs[i]!)}\t${esc(b.samples.value[i]!)}\n`).join('') },
  logs: {
    cols: 'id, ts, level, logger, message, thread, component, stream, log_kind, node, cluster, exception, attributes, labels',
    rows: (b: EncodedBatch) =>
      b.logs
        .map((r) => [r.id, iso(r.ms), r.level, r.logger, r.message, r.thread, r.component, r.stream, r.kind, r.node, r.cluster, json(r.exception), json(r.attributes), json(r.labels)].map(esc).join('\t') + '\n')
        .join(''),
  },
} as const;
type Table = keyof typeof TABLES;

/**
 * One psql session's script: its share of the batches (every CONCURRENCY-th), each its own transaction. `upsert`:
 * COPY into a temp table, then INSERT … ON CONFLICT DO NOTHING (the agent's job); otherwise COPY into the table.
 */
function psqlScript(schema: string, batches: EncodedBatch[], upsert: boolean): string {
  const tables: Table[] = ['series', 'samples', 'logs'];
  let out = '\\set ON_ERROR_STOP 1\n';
  if (upsert) for (const t of tables) out += `CREATE TEMP TABLE stage_${t} (LIKE "${schema}".${t} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS;\n`;
  for (const b of batches) {
    const present = tables.map((t) => [t, TABLES[t].rows(b)] as const).filter(([, rows]) => rows);
    // One COPY straight into a table is atomic on its own, as the agent's single statement is; the staging pair
    // needs its transaction (the temp tables empty at COMMIT).
    const transaction = upsert || present.length > 1;
    if (transaction) out += 'BEGIN;\n';
    for (const [t, rows] of present) {
      const into = upsert ? `stage_${t} (${TABLES[t].cols})` : `"${schema}".${t} (${TABLES[t].cols})`;
      out += `COPY ${into} FROM STDIN;\n${rows}\\.\n`;
      if (upsert) out += `INSERT INTO "${schema}".${t} (${TABLES[t].cols}) SELECT ${TABLES[t].cols} FROM stage_${t} ON CONFLICT DO NOTHING;\n`;
    }
    if (transaction) out += 'COMMIT;\n';
  }
  return out;
}

/** Runs `psql -f -` on `script`; resolves with psql's CPU seconds (bash `times`, children line). */
function psql(pg: { host: string; port: number; user: string; database: string }, script: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const cmd = `psql -X -q -h ${pg.host} -p ${pg.port} -U ${pg.user} -d ${pg.database} -f - >/dev/null && times`;
    const child = spawn('bash', ['-c', cmd], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('close', (code) => {
      if (code !== 0 || err) return reject(new Error(`psql failed (${code}): ${err}`));
      const m = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(out.trim());
      resolve(m ? Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]) : Number.NaN);
    });
    child.stdin.end(script);
  });
}

type Path = 'agent' | 'psql' | 'psql_raw';
const PATHS: Path[] = ['agent', 'psql', 'psql_raw'];

export async function run(): Promise<BenchResult> {
  const pg = (await ensureServices(['postgres'])).postgres;
  const suffix = randomBytes(3).toString('hex');
  const schemas: Record<Path, string> = { agent: `fta_bench_agent_${suffix}`, psql: `fta_bench_psql_${suffix}`, psql_raw: `fta_bench_psqlraw_${suffix}` };
  // Every schema is migrated (with today's partitions) by a sink, so all three paths load identical tables.
  const sinks = PATHS.map((p) =>
    postgresSink.create(postgresSink.schema.parse({ type: 'postgres', inputs: ['x'], ...pg, schema: schemas[p], pool_size: CONCURRENCY + 1 }), silentContext()) as PostgresSink,
  );
  const agent = sinks[0]!;
  const signal = new AbortController().signal;
  const admin = new Client(pg);
  await admin.connect();
  try {
    for (const s of sinks) await s.start(signal);
    const metrics: Record<string, number> = { samples: SAMPLES, logs: LOGS };
    for (const [kind, rows, table] of [
      ['samples', samples, 'samples'],
      ['logs', logs, 'logs'],
    ] as Array<[string, TelemetryRecord[], Table]>) {
      const batches = Math.ceil(rows.length / BATCH);
      const slice = (b: number) => rows.slice(b * BATCH, (b + 1) * BATCH);
      // psql's input: the agent's own encoding of the same batches (same series rows in the first batch that has
      // them), rendered to COPY text before any clock starts.
      const cache = new StoredSeries();
      const encoded = Array.from({ length: batches }, (_, b) => {
        const e = encodeBatch(slice(b), cache);
        cache.settle(e.series.id, true);
        return e;
      });
      let failures = 0;
      const totals = Object.fromEntries(PATHS.map((p) => [p, { wall: 0, cpu: 0 }])) as Record<Path, { wall: number; cpu: number }>;
      // Rounds over slices of the batches, the paths in turn, so table growth, checkpoints and other load on the
      // machine hit all alike; the totals are summed.
      const per = Math.ceil(batches / ROUNDS);
      for (let r = 0; r < ROUNDS; r++) {
        const from = r * per;
        const n = Math.max(0, Math.min(batches, from + per) - from);
        const scripts = (p: Path) =>
          Array.from({ length: CONCURRENCY }, (_, s) => psqlScript(schemas[p], encoded.slice(from, from + n).filter((_, b) => b % CONCURRENCY === s), p === 'psql'));
        const run = {
          agent: async () =>
            measure(() =>
              inPool(n, CONCURRENCY, async (b) => {
                if ((await agent.send(slice(from + b), { signal, attempt: 1 })).kind !== 'ok') failures++;
              }),
            ),
          psql: async () => viaPsql(scripts('psql')),
          psql_raw: async () => viaPsql(scripts('psql_raw')),
        };
        const viaPsql = async (texts: string[]) => {
          let cpu = 0;
          const t = await measure(async () => {
            cpu = (await Promise.all(texts.map((text) => psql(pg, text)))).reduce((a, c) => a + c, 0);
          });
          return { wall: t.wall, cpu };
        };
        // Rotate who goes first each round.
        for (let k = 0; k < PATHS.length; k++) {
          const p = PATHS[(r + k) % PATHS.length]!;
          const t = await run[p]();
          totals[p].wall += t.wall;
          totals[p].cpu += t.cpu;
        }
      }
      const stored = async (p: Path) => Number((await admin.query(`SELECT count(*) AS n FROM "${schemas[p]}".${table}`)).rows[0].n);
      for (const p of PATHS) {
        metrics[`${p}_${kind}_per_s`] = Math.round(rows.length / totals[p].wall);
        metrics[`${p}_${kind}_cpu_s_per_million`] = (totals[p].cpu / rows.length) * 1e6;
        metrics[`${kind}_stored_${p}`] = await stored(p);
      }
      metrics[`${kind}_ratio_agent_vs_psql`] = totals.psql.wall / totals.agent.wall;
      metrics[`${kind}_ratio_agent_vs_psql_raw`] = totals.psql_raw.wall / totals.agent.wall;
      metrics[`${kind}_failed_batches`] = failures;
    }
    return {
      name: 'postgres',
      metrics,
      notes: [
        `${SAMPLES} samples (500 series) and ${LOGS} log records, ${BATCH} rows a batch, one transaction each, ${CONCURRENCY} in flight (agent) / ${CONCURRENCY} psql sessions; ${ROUNDS} rotating rounds; PostgreSQL on loopback; each path into its own freshly migrated schema`,
        'agent = PostgresSink.send (samples and logs by binary COPY; a batch COPY finds partly stored, i.e. a replay, goes again as INSERT … ON CONFLICT DO NOTHING); psql = COPY into a temp table + INSERT … ON CONFLICT DO NOTHING per batch (the same job: a replay changes nothing; target ratio ≥ 0.8); psql_raw = COPY straight into the table (a replay would fail: not the same job, the floor)',
        'CPU seconds: this Node process (process.cpuUsage) for the agent, the psql processes\' own (bash times) for psql; the server\'s CPU is not counted',
      ],
    };
  } finally {
    for (const schema of Object.values(schemas)) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await admin.end();
    for (const s of sinks) await s.close();
  }
}
