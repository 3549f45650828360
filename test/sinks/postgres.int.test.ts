// Against the real PostgreSQL 15 started by scripts/env. Each test uses its own schema with a random suffix and
// drops it afterwards. Assertions read what the server stored.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client } from 'pg';
import { withDiskRunner } from '../pipeline/helpers';
import { ensureServices, type Endpoints } from '../setup/env';
import { deadLetterPath } from '../../src/pipeline/paths';
import { postgresSink } from '../../src/sinks/postgres';
import { MAX_LOG_ID_BYTES, MAX_SERIES_NAME_BYTES } from '../../src/sinks/postgres/encode';
import type { PostgresSink } from '../../src/sinks/postgres/sink';
import { DAY_MS, formatDay } from '../../src/sinks/shared/days';
import type { SendResult } from '../../src/model/send-result';
import type { LogRecord, Sample, TelemetryRecord } from '../../src/model';
import { logRecord, sample, testContext } from './opensearch.fixtures';

const signal = new AbortController().signal;
const send = (sink: PostgresSink, records: TelemetryRecord[]): Promise<SendResult> => sink.send(records, { signal, attempt: 1 });
/** `bytes` of random base64: text PostgreSQL cannot compress, so it meets the index limits at full length. */
const incompressible = (bytes: number): string => randomBytes(bytes).toString('base64').slice(0, bytes);
async function until(done: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

describe('postgres sink [needs: PostgreSQL from scripts/env up --only postgres]', function () {
  let pg: Endpoints['postgres'];
  let schema: string;
  let db: Client;
  const sinks: PostgresSink[] = [];

  const build = (extra: Record<string, unknown> = {}) => {
    const cfg = postgresSink.schema.parse({ type: 'postgres', inputs: ['m'], host: pg.host, port: pg.port, user: pg.user, database: pg.database, schema, pool_size: 2, ...extra });
    const { ctx, counters } = testContext('pg');
    const sink = postgresSink.create(cfg, ctx) as PostgresSink;
    sinks.push(sink);
    return { sink, counters };
  };
  const one = async <T>(sql: string, params: unknown[] = []): Promise<T> => (await db.query(sql, params)).rows[0] as T;
  const partitions = async (table: string): Promise<string[]> =>
    (
      await db.query(
        `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
          JOIN pg_namespace n ON n.oid = p.relnamespace WHERE n.nspname = $1 AND p.relname = $2 ORDER BY 1`,
        [schema, table],
      )
    ).rows.map((r) => r.relname as string);

  const counts = async (): Promise<{ samples: number; logs: number; series: number }> => {
    const n = await one<Record<string, string>>(
      `SELECT (SELECT count(*) FROM "${schema}".samples) AS samples, (SELECT count(*) FROM "${schema}".logs) AS logs, (SELECT count(*) FROM "${schema}".series) AS series`,
    );
    return { samples: Number(n.samples), logs: Number(n.logs), series: Number(n.series) };
  };
  before(async () => {
    pg = (await ensureServices(['postgres'])).postgres;
    db = new Client({ host: pg.host, port: pg.port, user: pg.user, database: pg.database });
    await db.connect();
  });
  after(async () => {
    await db?.end();
  });
  beforeEach(() => {
    schema = `fta_it_${randomBytes(4).toString('hex')}`;
  });
  afterEach(async () => {
    await Promise.all(sinks.splice(0).map((s) => s.close()));
    await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  });

  it('migrates once when several agents start at the same time, and creates partitions ahead', async () => {
    const agents = [build(), build(), build()];
    await Promise.all(agents.map(({ sink }) => sink.start(signal)));
    const m = await one<{ n: string; v: number }>(`SELECT count(*) AS n, max(version) AS v FROM "${schema}".schema_migrations`);
    assert.deepEqual([Number(m.n), m.v], [1, 1]);
    const today = Date.now();
    const expected = [0, 1, 2].map((i) => `samples_p${formatDay(today + i * DAY_MS, '')}`);
    assert.deepEqual(await partitions('samples'), expected);
    assert.equal((await partitions('logs')).length, 3);
    const gin = await one<{ n: string }>(`SELECT count(*) AS n FROM pg_indexes WHERE schemaname = $1 AND indexdef ILIKE '%USING gin (labels)%'`, [schema]);
    assert.equal(Number(gin.n), 1);
  });

  it('stores samples and logs once even when the batch is sent twice, creating an old day\'s partition on demand', async () => {
    const { sink } = build();
    await sink.start(signal);
    const old = Date.now() - 5 * DAY_MS;
    const batch: TelemetryRecord[] = [
      sample(1),
      sample(2, { value: Number.NaN }),
      sample(3, { timestampMs: old }),
      logRecord(1),
      logRecord(2, { level: 'ERROR', exception: { type: 'java.io.IOException', message: 'disk', stack: 'java.io.IOException: disk', causes: [{ type: 'X', message: 'y' }] } }),
    ];
    assert.deepEqual(await send(sink, batch), { kind: 'ok' });
    assert.deepEqual(await send(sink, batch), { kind: 'ok' });
    const s = await db.query(`SELECT name, labels, value, ts FROM "${schema}".metrics ORDER BY ts`);
    assert.equal(s.rowCount, 3);
    assert.equal(s.rows[0].name, 'flink_taskmanager_Status_JVM_CPU_Load');
    assert.deepEqual(s.rows[0].labels, sample(3).labels);
    assert.ok(Number.isNaN(s.rows[2].value));
    assert.equal(s.rows[1].ts.getTime(), sample(1).timestampMs);
    assert.equal(Number((await one<{ n: string }>(`SELECT count(*) AS n FROM "${schema}".series`)).n), 3);
    const logs = await db.query(`SELECT id, level, node, cluster, exception, attributes, labels FROM "${schema}".logs ORDER BY ts`);
    assert.equal(logs.rowCount, 2);
    assert.deepEqual(logs.rows[1].exception.causes, [{ type: 'X', message: 'y' }]);
    assert.equal(logs.rows[0].attributes.job_id, '3f2a9c');
    assert.deepEqual([logs.rows[0].node, logs.rows[0].cluster, logs.rows[0].labels], ['n1', 'c1', { env: 'test' }]);
    assert.ok((await partitions('samples')).includes(`samples_p${formatDay(old, '')}`));
  });

  it('stores text PostgreSQL would refuse (U+0000 in a message, attribute or label) with U+FFFD instead', async () => {
    const { sink } = build();
    await sink.start(signal);
    const nul = [logRecord(1, { message: 'a\u0000b', thread: 't\u0000', attributes: { k: 'x\u0000' } }), sample(1, { labels: { tm_id: 'tm\u0000' } })];
    assert.deepEqual(await send(sink, nul), { kind: 'ok' });
    const row = await one<{ message: string; thread: string; attributes: Record<string, string> }>(`SELECT message, thread, attributes FROM "${schema}".logs`);
    assert.deepEqual([row.message, row.thread, row.attributes.k], ['a\uFFFDb', 't\uFFFD', 'x\uFFFD']);
    assert.deepEqual((await one<{ labels: Record<string, string> }>(`SELECT labels FROM "${schema}".series`)).labels, { tm_id: 'tm\uFFFD' });
    // The replay path (INSERT … ON CONFLICT) cleans the same way: a second record with NUL in a replayed batch.
    assert.deepEqual(await send(sink, [...nul, logRecord(2, { message: 'c\u0000' })]), { kind: 'ok' });
    assert.equal((await one<{ message: string }>(`SELECT message FROM "${schema}".logs WHERE id = $1`, [logRecord(2).id])).message, 'c\uFFFD');
  });

  it('stores a lone UTF-16 surrogate (a line cut mid-character) as U+FFFD in every text and jsonb column, with the rest of the batch, by COPY and by replay', async () => {
    const { sink, counters } = build();
    await sink.start(signal);
    const exception = { type: 'java.io.IOException\udc00', message: 'cut \ud83d', stack: 's', causes: [{ type: 'X', message: '\ud800' }] };
    const cut = (i: number) => logRecord(i, { message: `m\ud800${i}`, thread: '\udfff', attributes: { k: 'x\ud83d' }, labels: { ...logRecord(i).labels, pod: '\udc00' }, exception });
    const batch = [sample(1), cut(1), logRecord(2), sample(2, { name: 'flink_\ud800', labels: { tm_id: 'tm\udc00' } })];
    assert.deepEqual(await send(sink, batch), { kind: 'ok' });
    const series = await one<{ name: string; labels: Record<string, string> }>(`SELECT name, labels FROM "${schema}".series WHERE name <> $1`, [sample(1).name]);
    assert.deepEqual([series.name, series.labels], ['flink_\uFFFD', { tm_id: 'tm\uFFFD' }]);
    assert.equal(Number((await one<{ n: string }>(`SELECT count(*) AS n FROM "${schema}".samples`)).n), 2);
    // The second send repeats the batch, so its COPY meets stored rows and every row goes by INSERT … ON CONFLICT
    // (json_to_recordset): cut(3) is stored that way.
    assert.deepEqual(await send(sink, [...batch, cut(3)]), { kind: 'ok' });
    assert.equal(counters.get('postgres_replayed_batches_total'), 1);
    const logs = await db.query(`SELECT message, thread, attributes, labels, exception FROM "${schema}".logs ORDER BY ts`);
    assert.equal(logs.rows[1].message, logRecord(2).message);
    const cleaned = { thread: '\uFFFD', attributes: { k: 'x\uFFFD' }, labels: { env: 'test', pod: '\uFFFD' }, exception: { ...exception, type: 'java.io.IOException\uFFFD', message: 'cut \uFFFD', causes: [{ type: 'X', message: '\uFFFD' }] } };
    assert.deepEqual([logs.rows[0], logs.rows[2]], [{ message: 'm\uFFFD1', ...cleaned }, { message: 'm\uFFFD3', ...cleaned }]);
  });

  it('dead-letters a log id and a metric name too long for their btree indexes by themselves, and stores the rest of the batch', async () => {
    const { sink } = build();
    await sink.start(signal);
    // Random text does not compress, so PostgreSQL would refuse both with program_limit_exceeded (54000).
    const batch = [sample(1), logRecord(1, { id: incompressible(3000) }), logRecord(2), sample(2, { name: incompressible(3000) })];
    const result = await send(sink, batch);
    assert.deepEqual(result.kind === 'partial' && [result.retry, result.reject.map((r) => r.index)], [[], [1, 3]]);
    const reasons = result.kind === 'partial' ? result.reject.map((r) => r.reason) : [];
    assert.match(reasons[0]!, /^log id ".{64}…" is 3000 bytes; the logs primary key \(id, ts\) takes at most 2684 bytes of id/);
    assert.match(reasons[1]!, /^metric name ".{64}…" is 3000 bytes; the series index on name takes at most 2692 bytes/);
    assert.deepEqual(await counts(), { samples: 1, logs: 1, series: 1 });
  });

  it('refuses exactly what PostgreSQL would: the longest log id and metric name are stored, and one byte more the server refuses too', async () => {
    const { sink } = build();
    await sink.start(signal);
    assert.deepEqual(await send(sink, [logRecord(1, { id: incompressible(MAX_LOG_ID_BYTES) }), sample(1, { name: incompressible(MAX_SERIES_NAME_BYTES) })]), { kind: 'ok' });
    assert.deepEqual(await counts(), { samples: 1, logs: 1, series: 1 });
    await assert.rejects(db.query(`INSERT INTO "${schema}".logs (id, ts, level, message, log_kind, attributes, labels) VALUES ($1, $2, 'INFO', 'm', 'log', '{}', '{}')`, [incompressible(MAX_LOG_ID_BYTES + 1), new Date(logRecord(1).timestampMs)]), { code: '54000' });
    await assert.rejects(db.query(`INSERT INTO "${schema}".series (id, name, labels) VALUES (1, $1, '{}')`, [incompressible(MAX_SERIES_NAME_BYTES + 1)]), { code: '54000' });
  });

  it('isolates a record an unforeseen index refuses (one an operator added): too_large, then the runner splits down to it and dead-letters only it', async () => {
    const { sink } = build();
    await sink.start(signal);
    await db.query(`CREATE INDEX logs_message ON "${schema}".logs (message)`);
    // With a record the encoder refuses, which the halves answer for again (partial).
    const noLevel = { ...logRecord(4), level: undefined } as unknown as LogRecord;
    const batch = [logRecord(1), logRecord(2, { message: incompressible(3000) }), logRecord(3), sample(1), noLevel];
    const direct = await send(sink, batch);
    assert.equal(direct.kind, 'too_large');
    assert.match('reason' in direct ? direct.reason : '', /^postgres sink "pg" .*index row size 3\d{3} exceeds btree version 4 maximum 2704 for index "logs_p\d{8}_message_idx" \(54000\)$/);
    assert.deepEqual(await counts(), { samples: 0, logs: 0, series: 0 });

    await withDiskRunner('pg', sink, 100, async (runner, dataDir) => {
      await runner.enqueue(batch);
      await until(() => runner.status().counters.sent + runner.status().counters.deadLettered === batch.length);
      assert.deepEqual([runner.status().counters.sent, runner.status().counters.deadLettered], [3, 2]);
      const dead = readFileSync(deadLetterPath(dataDir, 'pg'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { reason: string; record: LogRecord });
      dead.sort((a, b) => a.record.id.localeCompare(b.record.id));
      assert.deepEqual(dead.map((d) => d.record.id), [logRecord(2).id, logRecord(4).id]);
      assert.match(dead[0]!.reason, /index row size \d+ exceeds btree version 4 maximum 2704 .*\(54000\) \(a single record is too large for the sink\)$/);
      assert.match(dead[1]!.reason, /has no level/);
    });
    assert.deepEqual(await counts(), { samples: 1, logs: 2, series: 1 });
  });

  it('dead-letters a log record without a level (a NOT NULL column) by name and stores the rest', async () => {
    const { sink } = build();
    await sink.start(signal);
    const bad = { ...logRecord(1), level: undefined } as unknown as LogRecord;
    const result = await send(sink, [bad, logRecord(2)]);
    assert.deepEqual(result.kind === 'partial' && [result.retry, result.reject.map((r) => r.index)], [[], [0]]);
    assert.match(result.kind === 'partial' ? result.reject[0]!.reason : '', /has no level \(text\), which the logs table requires/);
    assert.equal(Number((await one<{ n: string }>(`SELECT count(*) AS n FROM "${schema}".logs`)).n), 1);
  });

  it('dead-letters a sample whose value is not a number (binary COPY would store it as NaN) and stores the rest', async () => {
    const { sink } = build();
    await sink.start(signal);
    const bad = { ...sample(1), value: 'not-a-number' } as unknown as Sample;
    const result = await send(sink, [bad, sample(2)]);
    assert.deepEqual(result.kind === 'partial' && [result.retry, result.reject.map((r) => r.index)], [[], [0]]);
    assert.match(result.kind === 'partial' ? result.reject[0]!.reason : '', /value "not-a-number" of flink_taskmanager_Status_JVM_CPU_Load is not a number/);
    assert.equal(Number((await one<{ n: string }>(`SELECT count(*) AS n FROM "${schema}".samples`)).n), 1);
  });

  it('stores a batch that is partly a replay once: COPY meets the stored rows, ON CONFLICT DO NOTHING stores the new ones (counted)', async () => {
    const { sink, counters } = build();
    await sink.start(signal);
    const first = [sample(1), sample(2)];
    assert.deepEqual(await send(sink, first), { kind: 'ok' });
    assert.equal(counters.get('postgres_replayed_batches_total'), undefined);
    const far = Date.UTC(2290, 0, 1, 0, 0, 0, 7); // µs from 2000 beyond 2^53: written through BigInt
    const before2000 = Date.UTC(1969, 6, 20, 20, 17, 40, 123); // negative µs from PostgreSQL's epoch
    assert.deepEqual(await send(sink, [...first, sample(3), sample(4, { timestampMs: far })]), { kind: 'ok' });
    assert.equal(counters.get('postgres_replayed_batches_total'), 1);
    // New rows only, all by COPY again: the wrong path would show as a second replay.
    assert.deepEqual(await send(sink, [sample(5, { timestampMs: far + 1, value: -0.5 }), sample(6, { timestampMs: before2000, value: Number.NEGATIVE_INFINITY })]), { kind: 'ok' });
    assert.equal(counters.get('postgres_replayed_batches_total'), 1);
    const rows = await db.query(`SELECT (extract(epoch FROM ts) * 1000)::bigint AS ms, value FROM "${schema}".samples ORDER BY ts`);
    assert.deepEqual(
      rows.rows.map((r) => [Number(r.ms), r.value]),
      [[before2000, Number.NEGATIVE_INFINITY], [sample(1).timestampMs, 0.1], [sample(2).timestampMs, 0.2], [sample(3).timestampMs, 0.3], [far, 0.4], [far + 1, -0.5]],
    );
  });

  it('drops partitions past retention_days in housekeeping', async () => {
    const { sink, counters } = build({ retention_days: 3 });
    await sink.start(signal);
    const now = Date.now();
    assert.deepEqual(await send(sink, [sample(1, { timestampMs: now - 10 * DAY_MS }), logRecord(1, { timestampMs: now - 1 * DAY_MS })]), { kind: 'ok' });
    await sink.housekeeping(signal);
    const left = await partitions('samples');
    assert.ok(!left.includes(`samples_p${formatDay(now - 10 * DAY_MS, '')}`), left.join());
    assert.ok((await partitions('logs')).includes(`logs_p${formatDay(now - DAY_MS, '')}`));
    assert.equal(counters.get('postgres_retention_dropped_partitions_total'), 1);
    // Late data for a dropped day still lands: its partition is created again on demand.
    assert.deepEqual(await send(sink, [sample(2, { timestampMs: now - 10 * DAY_MS })]), { kind: 'ok' });
  });

  it('re-creates its schema when it was dropped behind its back (retry, then ok)', async () => {
    const { sink } = build();
    await sink.start(signal);
    await db.query(`DROP SCHEMA "${schema}" CASCADE`);
    const first = await send(sink, [sample(1)]);
    assert.equal(first.kind, 'retry');
    assert.deepEqual(await send(sink, [sample(1)]), { kind: 'ok' });
    assert.equal(Number((await one<{ n: string }>(`SELECT count(*) AS n FROM "${schema}".samples`)).n), 1);
  });

  it('delivers through the SinkRunner end to end: migrates in start(), every record stored once', async () => {
    const { sink } = build();
    await withDiskRunner('pg', sink, 100, async (runner) => {
      const records: TelemetryRecord[] = [];
      for (let i = 0; i < 300; i++) records.push(sample(i), logRecord(i));
      // The second half repeats the first: a replay must not add rows.
      for (let i = 0; i < records.length; i += 100) await runner.enqueue(records.slice(i, i + 100));
      await runner.enqueue(records.slice(0, 100));
      await until(() => runner.status().counters.sent >= 700);
      assert.equal(runner.status().counters.sent, 700);
      assert.equal(runner.status().counters.deadLettered, 0);
      assert.equal(Number((await one<{ n: string }>(`SELECT count(*) AS n FROM "${schema}".samples`)).n), 300);
      assert.equal(Number((await one<{ n: string }>(`SELECT count(*) AS n FROM "${schema}".logs`)).n), 300);
    });
  });

  it('answers retry with a clear reason for a refused connection, a missing database and a missing role', async () => {
    const refused = build({ port: 1 }).sink;
    const r1 = await send(refused, [sample(1)]);
    assert.equal(r1.kind, 'retry');
    assert.match('reason' in r1 ? r1.reason : '', /postgres sink "pg" \(postgres@127\.0\.0\.1:1\/.*\) unreachable \(ECONNREFUSED/);
    await assert.rejects(refused.healthcheck(signal), /ECONNREFUSED/);

    const noDb = build({ database: `nope_${schema}` }).sink;
    const r2 = await send(noDb, [sample(1)]);
    assert.equal(r2.kind, 'retry');
    assert.match('reason' in r2 ? r2.reason : '', /database "nope_fta_it_\w+" does not exist \(3D000\) — check database/);

    const noRole = build({ user: `nobody_${schema}` }).sink;
    await assert.rejects(noRole.start(signal), /postgres sink "pg" .*authentication failed \(28000: role "nobody_fta_it_\w+" does not exist\) — check user and password/);
  });
});
