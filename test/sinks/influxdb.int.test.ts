// influxdb sink against the real servers [needs: InfluxDB 1.x at :8086 and VictoriaMetrics at :8428; start:
// scripts/env up --only influxdb,victoriametrics]. Every test uses its own database / metric names and asserts
// what the SERVER stored.
import { strict as assert } from 'node:assert';
import type { TelemetryRecord } from '../../src/model';
import { influxDbSink } from '../../src/sinks/influxdb';
import { influxDbSchema } from '../../src/sinks/influxdb/schema';
import type { Sink } from '../../src/sinks/types';
import { ensureServices, type Endpoints } from '../setup/env';
import { pollUntil, randomSuffix, sample, testContext, type TestContext } from './prometheus-remote-write.fixtures';

interface InfluxSeries { name: string; columns: string[]; values: unknown[][]; tags?: Record<string, string> }

describe('influxdb sink [needs: InfluxDB 1.x at :8086 and VictoriaMetrics at :8428; start: scripts/env up --only influxdb,victoriametrics]', () => {
  let env: Endpoints;
  const sinks: Sink[] = [];
  const databases: string[] = [];
  const signal = new AbortController().signal;

  async function influxQuery(q: string, db?: string): Promise<InfluxSeries[]> {
    const params = new URLSearchParams({ q, epoch: 'ms', ...(db ? { db } : {}) });
    const res = await fetch(`${env.influxdb}/query?${params}`, { method: 'POST' });
    const body = (await res.json()) as { results: Array<{ series?: InfluxSeries[]; error?: string }> };
    if (body.results[0]!.error) throw new Error(body.results[0]!.error);
    return body.results[0]!.series ?? [];
  }
  /** Rows of every measurement as objects, for comparison. */
  async function rows(db: string): Promise<Array<Record<string, unknown>>> {
    const series = await influxQuery('SELECT * FROM /.*/', db);
    return series.flatMap((s) => s.values.map((v) => ({ measurement: s.name, ...Object.fromEntries(s.columns.map((c, i) => [c, v[i]]).filter(([, x]) => x !== null)) })));
  }
  function newDb(): string {
    const db = `fta_it_${randomSuffix()}`;
    databases.push(db);
    return db;
  }
  function makeSink(extra: Record<string, unknown>, url = env.influxdb): { sink: Sink; ctx: TestContext } {
    const ctx = testContext('influx-int');
    const sink = influxDbSink.create(influxDbSchema.parse({ type: 'influxdb', url, inputs: ['a'], ...extra }), ctx);
    sinks.push(sink);
    return { sink, ctx };
  }

  before(async () => {
    env = await ensureServices(['influxdb', 'victoriametrics']);
  });
  after(async () => {
    for (const s of sinks) await s.close?.();
    for (const db of databases) await influxQuery(`DROP DATABASE "${db}"`).catch(() => undefined);
  });

  it('round-trips escaped measurement, tag and field names through InfluxDB 1.x (gzip, create_database)', async () => {
    const db = newDb();
    const { sink } = makeSink({ database: db, create_database: true });
    await sink.start!(signal);
    const t = Date.now() - 60_000;
    const odd: TelemetryRecord[] = [
      sample('my meas,x', { 'tag k': 'va=l,ue', quote: 'q"uo\\te', 'uni ü': 'größe µs' }, 0.5, t),
      sample('plain', { 'eq=key': 'a b', comma: ',,,' }, 3, t + 1),
    ];
    assert.deepEqual(await sink.send(odd, { signal, attempt: 1 }), { kind: 'ok' });
    const stored = await rows(db);
    assert.deepEqual(stored, [
      { measurement: 'my meas,x', time: t, 'tag k': 'va=l,ue', quote: 'q"uo\\te', 'uni ü': 'größe µs', value: 0.5 },
      { measurement: 'plain', time: t + 1, 'eq=key': 'a b', comma: ',,,', value: 3 },
    ]);
  });

  it('writes one measurement with a field per metric when measurement_per_metric is false, at ns precision', async () => {
    const db = newDb();
    const { sink } = makeSink({ database: db, create_database: true, measurement_per_metric: false, measurement: 'flink', precision: 'ns', gzip: false });
    await sink.start!(signal);
    const t = Date.now() - 60_000;
    await sink.send([sample('busy time', { job: 'j' }, 1.5, t), sample('idle', { job: 'j' }, 2, t)], { signal, attempt: 1 });
    assert.deepEqual(await rows(db), [{ measurement: 'flink', time: t, job: 'j', 'busy time': 1.5, idle: 2 }]);
  });

  it('drops NaN/±Inf (counted) and skips stale markers, writing the rest', async () => {
    const db = newDb();
    const { sink, ctx } = makeSink({ database: db, create_database: true });
    await sink.start!(signal);
    const t = Date.now() - 60_000;
    const r = await sink.send([sample('m', {}, NaN, t), sample('m', {}, Infinity, t + 1), sample('m', {}, 1, t + 2, { stale: true }), sample('m', {}, 4, t + 3)], { signal, attempt: 1 });
    assert.deepEqual(r, { kind: 'ok' });
    assert.equal(ctx.counters.get('influx_nonfinite_dropped_total'), 2);
    assert.equal(ctx.counters.get('influx_stale_skipped_total'), 1);
    assert.deepEqual(await rows(db), [{ measurement: 'm', time: t + 3, value: 4 }]);
  });

  it('reports a missing database with what to do, or creates it when create_database is true', async () => {
    const db = newDb();
    const t = Date.now() - 60_000;
    const refused = await makeSink({ database: db }).sink.send([sample('m', {}, 1, t)], { signal, attempt: 1 });
    assert.equal(refused.kind, 'retry');
    assert.match(refused.kind === 'retry' ? refused.reason : '', new RegExp(`database "${db}" not found on http://127\\.0\\.0\\.1:\\d+; create it or set create_database: true`));
    await assert.rejects(makeSink({ database: db }).sink.healthcheck!(signal), /not found.*create_database: true/);

    const { sink } = makeSink({ database: db, create_database: true });
    const first = await sink.send([sample('m', {}, 1, t)], { signal, attempt: 1 });
    assert.deepEqual(first.kind === 'retry' && [first.afterMs, /created it/.test(first.reason)], [0, true]);
    assert.deepEqual(await sink.send([sample('m', {}, 1, t)], { signal, attempt: 2 }), { kind: 'ok' });
    assert.deepEqual(await rows(db), [{ measurement: 'm', time: t, value: 1 }]);
    await sink.healthcheck!(signal);
  });

  it('dead-letters exactly the points of a field type conflict; the others are stored', async () => {
    const db = newDb();
    const { sink } = makeSink({ database: db, create_database: true });
    await sink.start!(signal);
    const t = Date.now() - 60_000;
    // Someone else made `conflict.value` an integer field first.
    const pre = await fetch(`${env.influxdb}/write?db=${db}&precision=ms`, { method: 'POST', body: `conflict value=1i ${t - 1000}` });
    assert.equal(pre.status, 204);
    const r = await sink.send([sample('fine', {}, 1, t), sample('conflict', {}, 2.5, t), sample('fine', {}, 3, t + 1)], { signal, attempt: 1 });
    assert.equal(r.kind, 'partial');
    assert.deepEqual(r.kind === 'partial' && r.retry, []);
    assert.deepEqual(r.kind === 'partial' && r.reject.map((x) => x.index), [1]);
    assert.match(r.kind === 'partial' ? r.reject[0]!.reason : '', /field type conflict/);
    assert.deepEqual((await rows(db)).filter((x) => x.measurement === 'fine').map((x) => x.value), [1, 3]);
  });

  it('rejects the whole batch of a partial write that does not name its points (beyond retention policy)', async () => {
    const db = newDb();
    const { sink } = makeSink({ database: db, create_database: true });
    await sink.start!(signal);
    await influxQuery(`CREATE RETENTION POLICY "short" ON "${db}" DURATION 1h REPLICATION 1 DEFAULT`);
    const now = Date.now();
    const r = await sink.send([sample('m', {}, 1, now - 3 * 86_400_000), sample('m', {}, 2, now - 1000)], { signal, attempt: 1 });
    assert.equal(r.kind, 'reject');
    assert.match(r.kind === 'reject' ? r.reason : '', /points beyond retention policy.*whole batch is dead-lettered/);
    assert.deepEqual((await rows(db)).map((x) => x.value), [2], 'the point inside retention was written');
  });

  it('retries a missing retention policy (InfluxDB answers 500) with a reason naming it', async () => {
    const db = newDb();
    const { sink } = makeSink({ database: db, create_database: true, retention_policy: 'nope' });
    await sink.start!(signal);
    const r = await sink.send([sample('m', {}, 1, Date.now())], { signal, attempt: 1 });
    assert.equal(r.kind, 'retry');
    assert.match(r.kind === 'retry' ? r.reason : '', /retention policy not found: nope; create it or fix retention_policy/);
  });

  for (const api of ['v1', 'v2'] as const) {
    it(`writes to VictoriaMetrics' ${api === 'v1' ? '/write' : '/api/v2/write'} (stored as <measurement>_<field>)`, async () => {
      const name = `fta_influx_vm_${api}_${randomSuffix()}`;
      const { sink } = makeSink(api === 'v1' ? { database: 'flinkdb' } : { api: 'v2', bucket: 'flinkdb', org: 'ops' }, env.victoriametrics);
      await sink.healthcheck!(signal);
      const t = Date.now() - 5000;
      assert.deepEqual(await sink.send([sample(name, { host: 'h 1', job: 'a,b' }, 12.5, t)], { signal, attempt: 1 }), { kind: 'ok' });
      const exported = await pollUntil('VictoriaMetrics to export the series', async () => {
        const res = await fetch(`${env.victoriametrics}/api/v1/export?match[]=${encodeURIComponent(`{__name__="${name}_value"}`)}`);
        const text = (await res.text()).trim();
        return text ? (JSON.parse(text) as { metric: Record<string, string>; values: number[]; timestamps: number[] }) : undefined;
      });
      assert.deepEqual(exported.metric, { __name__: `${name}_value`, host: 'h 1', job: 'a,b', ...(api === 'v1' ? { db: 'flinkdb' } : {}) });
      assert.deepEqual([exported.values, exported.timestamps], [[12.5], [t]]);
    });
  }
});
