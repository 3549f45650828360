// Unit tests of the InfluxDB sink: line-protocol escaping and typing tables, NaN/stale handling, partial-write
// parsing, status classification, schema rules and request shape (against a FaultInjectingReceiver).
import { strict as assert } from 'node:assert';
import { gunzipSync } from 'node:zlib';
import type { TelemetryRecord } from '../../src/model';
import { influxDbSink } from '../../src/sinks/influxdb';
import { classifyInflux, errorMessage } from '../../src/sinks/influxdb/client';
import { LineEncoder, escapeKey, escapeMeasurement, lineTexts, type InfluxMapping } from '../../src/sinks/influxdb/encode';
import { SeriesCache } from '../../src/sinks/shared/series-cache';
import { droppedIndices } from '../../src/sinks/influxdb/partial-write';
import { influxDbSchema } from '../../src/sinks/influxdb/schema';
import { FaultInjectingReceiver, sample, testContext } from './prometheus-remote-write.fixtures';

const perMetric: InfluxMapping = { measurementPerMetric: true, measurement: 'flink', field: 'value', precision: 'ms' };

/** The line a fresh encoder writes for one record (undefined when it refuses it). */
function encodeLine(record: TelemetryRecord, m: InfluxMapping): string | undefined {
  return lineTexts(new LineEncoder(m).encode([record]))[0];
}

describe('influxdb line protocol', () => {
  const escapes: Array<[string, string, string]> = [
    ['plain', 'cpu', 'cpu'],
    ['comma', 'a,b', 'a\\,b'],
    ['space', 'a b', 'a\\ b'],
    ['equals', 'a=b', 'a\\=b'],
    ['quote and backslash in the middle', 'a"b\\c', 'a"b\\c'],
    ['unicode', 'größe µs', 'größe\\ µs'],
  ];
  for (const [what, input, tagForm] of escapes) {
    it(`escapes ${what} in tag keys/values as ${JSON.stringify(tagForm)}`, () => assert.equal(escapeKey(input), tagForm));
  }
  it('escapes comma and space, but not equals, in measurements', () => assert.equal(escapeMeasurement('m,e a=s'), 'm\\,e\\ a=s'));

  it('writes measurement = metric name, sorted tags, field value as float, ms timestamp', () => {
    assert.equal(encodeLine(sample('flink_jm_numRunningJobs', { tm: 't 1', host: 'h,1' }, 3, 1795650000123), perMetric), 'flink_jm_numRunningJobs,host=h\\,1,tm=t\\ 1 value=3 1795650000123');
  });

  it('writes measurement = configured name and field = metric name when measurement_per_metric is false', () => {
    assert.equal(encodeLine(sample('busy time', { a: 'b' }, 0.5, 1000), { ...perMetric, measurementPerMetric: false }), 'flink,a=b busy\\ time=0.5 1000');
  });

  const values: Array<[number, string]> = [[3, '3'], [-0.25, '-0.25'], [1e21, '1e+21'], [5e-324, '5e-324'], [2 ** 53, '9007199254740992']];
  for (const [v, text] of values) {
    it(`writes ${v} as the float ${text} (no integer suffix)`, () => assert.equal(encodeLine(sample('m', {}, v, 0), perMetric), `m value=${text} 0`));
  }

  const precisions: Array<[InfluxMapping['precision'], string]> = [['ms', '1795650000123'], ['s', '1795650000'], ['us', '1795650000123000'], ['ns', '1795650000123000000']];
  for (const [precision, ts] of precisions) {
    it(`converts ms timestamps to precision ${precision}`, () => assert.equal(encodeLine(sample('m', {}, 1, 1795650000123), { ...perMetric, precision }), `m value=1 ${ts}`));
  }

  it('leaves out empty tag values', () => assert.equal(encodeLine(sample('m', { a: '', b: 'x' }, 1, 1), perMetric), 'm,b=x value=1 1'));

  const unwritable: Array<[string, TelemetryRecord, RegExp]> = [
    ['a newline in a tag value', sample('m', { a: 'x\ny' }, 1, 1), /line break/],
    ['a trailing backslash in a tag value', sample('m', { a: 'x\\' }, 1, 1), /backslash/],
    ['a measurement starting with #', sample('#m', {}, 1, 1), /comment/],
    ['no metric name', sample('', {}, 1, 1), /no metric name/],
    ['a log record', { kind: 'log', id: 'x', logKind: 'log', timestampMs: 1, level: 'INFO', message: 'm', attributes: {}, labels: {} }, /samples only/],
  ];
  for (const [what, record, reason] of unwritable) {
    it(`refuses ${what} with a reason and keeps the rest`, () => {
      const batch = new LineEncoder(perMetric).encode([sample('ok', {}, 1, 1), record]);
      assert.deepEqual(lineTexts(batch), ['ok value=1 1']);
      assert.equal(batch.rejected[0]!.index, 1);
      assert.match(batch.rejected[0]!.reason, reason);
    });
  }

  it('drops NaN/±Inf and stale markers, counting each, and maps lines back to batch indices', () => {
    const batch = new LineEncoder(perMetric).encode([sample('a', {}, NaN, 1), sample('b', {}, 1, 1), sample('c', {}, Infinity, 1), sample('d', {}, -Infinity, 1), sample('e', {}, 2, 1, { stale: true }), sample('f', {}, 3, 1)]);
    assert.equal(batch.nonFinite, 3);
    assert.equal(batch.stale, 1);
    assert.deepEqual(batch.indices, [1, 5]);
    assert.equal(batch.body.toString(), 'b value=1 1\nf value=3 1');
  });

  it('writes a batch larger than its first buffer guess, with multi-byte text and changing timestamps, line for line as each record alone', () => {
    const encoder = new LineEncoder(perMetric);
    encoder.encode([sample('m', {}, 1, 1)]); // a tiny batch makes the next buffer guess far too small
    const records = Array.from({ length: 3000 }, (_, i) => sample(`größe_${i % 7}`, { 'k ü': `wert,${i % 13} 😀`, n: String(i) }, i / 7, 1795650000000 + Math.floor(i / 100)));
    const batch = encoder.encode(records);
    assert.equal(batch.body.toString('utf8'), records.map((r) => encodeLine(r, perMetric)).join('\n'));
    assert.deepEqual(lineTexts(batch).length, 3000);
  });

  it('writes the cached prefix bytes again on the next batch, with new values and timestamps, at every precision', () => {
    for (const [precision] of precisions) {
      const m = { ...perMetric, precision };
      const encoder = new LineEncoder(m);
      const round = (t: number) => [sample('a b', { k: 'v,1' }, -0.25, t), sample('größe', { k: 'ü' }, 1e21, t), sample('a b', { k: 'v,1' }, 5e-324, t + 1)];
      encoder.encode(round(1795650000123));
      const next = round(1795650060123);
      assert.equal(encoder.encode(next).body.toString('utf8'), next.map((r) => encodeLine(r, m)).join('\n'));
    }
  });

  it('writes an empty body when no line is left', () => {
    const batch = new LineEncoder(perMetric).encode([sample('a', {}, NaN, 1), sample('b', {}, 1, 1, { stale: true })]);
    assert.equal(batch.body.length, 0);
    assert.deepEqual(lineTexts(batch), []);
    assert.deepEqual(batch.indices, []);
  });
});

describe('SeriesCache in scrape order (InfluxDB prefixes)', () => {
  const derived: string[] = [];
  const derive = (name: string, labels: Record<string, string>) => {
    const key = `${name}${JSON.stringify(labels)}`;
    derived.push(key);
    return key;
  };
  beforeEach(() => (derived.length = 0));

  it('answers what derive would for every sample, in scrape order, reordered, and with series coming and going', () => {
    const cache = new SeriesCache(derive);
    const s = (n: number, extra: Record<string, string> = {}) => ({ name: `m${n % 2}`, labels: { tm: `t${n}`, ...extra } as Record<string, string> });
    const scrapes = [[0, 1, 2, 3], [0, 1, 2, 3], [3, 2, 1, 0], [0, 4, 1, 3], [1, 2, 3, 4, 0]].map((ids) => ids.map((n) => s(n)));
    scrapes.push([s(1, { a: 'x' }), { name: 'm1', labels: { a: 'x', tm: 't1' } }, s(1)]); // same labels in another key order: its own entry
    for (const scrape of scrapes) for (const { name, labels } of scrape) assert.equal(cache.get(name, labels), `${name}${JSON.stringify(labels)}`);
    assert.equal(derived.length, 7); // t0…t4, then t1+a twice (two key orders)
  });

  it('starts over when trim finds the bound passed', () => {
    const cache = new SeriesCache(derive, 2);
    for (const n of [0, 1, 2]) cache.get('m', { n: String(n) });
    cache.trim();
    assert.equal(cache.get('m', { n: '0' }), 'm{"n":"0"}');
    assert.equal(derived.length, 4);
  });
});

describe('influxdb partial writes', () => {
  const records = [
    sample('cpu', { host: 'a' }, 1, 1), sample('mem', { host: 'a' }, 1, 1), sample('cpu', { host: 'b' }, 1, 2), sample('my meas', { t: 'v"q' }, 1, 1),
  ];
  const batch = new LineEncoder(perMetric).encode(records);
  const cases: Array<[string, string, number[] | undefined]> = [
    ['a field type conflict', 'partial write: field type conflict: input field "value" on measurement "cpu" is type float, already exists as type integer dropped=2', [0, 2]],
    ['a conflict on a quoted name', 'partial write: field type conflict: input field "value" on measurement "my meas" is type float, already exists as type string dropped=1', [3]],
    ['a count that does not add up', 'partial write: field type conflict: input field "value" on measurement "cpu" is type float, already exists as type integer dropped=3', undefined],
    ['unparsable lines', `partial write: unable to parse '${lineTexts(batch)[1]}': invalid field format\nunable to parse '${lineTexts(batch)[3]}': bad dropped=2`, [1, 3]],
    ['the max-values-per-tag limit', 'partial write: max-values-per-tag limit exceeded (100001/100000): measurement="my meas" tag="t" value="v\\"q" dropped=1', [3]],
    ['points beyond the retention policy (unidentifiable)', 'partial write: points beyond retention policy dropped=2', undefined],
  ];
  for (const [what, message, expected] of cases) {
    it(`identifies the dropped points of ${what}`, () => assert.deepEqual(droppedIndices(message, batch, records, perMetric), expected));
  }
});

describe('influxdb classification', () => {
  const table: Array<[number, string, string]> = [
    [204, '', 'done:ok'],
    [400, '{"error":"partial write: points beyond retention policy dropped=1"}', 'partial_write'],
    [400, '{"code":"invalid","message":"partial write: field type conflict"}', 'partial_write'],
    [400, '{"error":"unable to parse \'x\': missing fields"}', 'done:reject'],
    [404, '{"error":"database not found: \\"nope\\""}', 'database_not_found'],
    [404, '{"code":"not found","message":"bucket \\"b\\" not found"}', 'done:retry'],
    [500, '{"error":"retention policy not found: zzz"}', 'done:retry'],
    [500, '{"error":"timeout"}', 'done:retry'],
    [413, 'Request Entity Too Large', 'done:too_large'],
    [422, '{"code":"unprocessable entity","message":"failure writing points"}', 'done:reject'],
    [429, '', 'done:retry'],
    [401, '{"error":"authorization failed"}', 'done:retry'],
  ];
  for (const [status, body, expected] of table) {
    it(`HTTP ${status} ${body} → ${expected}`, () => {
      const v = classifyInflux(status, undefined, body, 'http://x/write');
      assert.equal(v.kind === 'done' ? `done:${v.result.kind}` : v.kind, expected);
    });
  }
  it('reads the error text of 1.x, 2.x and plain bodies', () => {
    assert.equal(errorMessage('{"error":"e1"}'), 'e1');
    assert.equal(errorMessage('{"code":"invalid","message":"e2"}'), 'e2');
    assert.equal(errorMessage('plain text'), 'plain text');
    assert.equal(errorMessage('{broken'), '{broken');
  });
});

describe('influxdb schema', () => {
  const base = { type: 'influxdb', url: 'http://127.0.0.1:8086', inputs: ['a'] };
  it('defaults to api v1, ms precision, gzip, measurement per metric', () => {
    const c = influxDbSchema.parse({ ...base, database: 'flink' });
    assert.deepEqual([c.api, c.precision, c.gzip, c.measurement_per_metric, c.field, c.create_database], ['v1', 'ms', true, true, 'value', false]);
  });
  for (const [what, extra, path] of [
    ['v1 without database', {}, 'database'],
    ['v1 with a token', { database: 'd', token: 't' }, 'token'],
    ['v2 without bucket', { api: 'v2' }, 'bucket'],
    ['v2 with database', { api: 'v2', bucket: 'b', database: 'd' }, 'database'],
    ['v2 with create_database', { api: 'v2', bucket: 'b', create_database: true }, 'create_database'],
    ['a bad precision', { database: 'd', precision: 'xx' }, 'precision'],
    ['password without username', { database: 'd', password: 'p' }, 'password'],
  ] as const) {
    it(`refuses ${what}, naming the field`, () => {
      const r = influxDbSchema.safeParse({ ...base, ...extra });
      assert.equal(r.success, false);
      assert.ok(r.error!.issues.some((i) => i.path.join('.') === path), JSON.stringify(r.error!.issues));
    });
  }
});

describe('influxdb sink against a FaultInjectingReceiver', () => {
  let receiver: FaultInjectingReceiver;
  beforeEach(async () => (receiver = await new FaultInjectingReceiver().start()));
  afterEach(() => receiver.stop());
  const signal = new AbortController().signal;
  const make = (extra: Record<string, unknown>) => {
    const ctx = testContext('influx');
    return { ctx, sink: influxDbSink.create(influxDbSchema.parse({ type: 'influxdb', url: `${receiver.url}/prefix`, inputs: ['a'], ...extra }), ctx) };
  };

  it('v1: gzips line protocol to /write with db, rp, precision and basic auth', async () => {
    const { sink, ctx } = make({ database: 'd b', retention_policy: 'r', username: 'u', password: 'p', precision: 'us' });
    assert.deepEqual(await sink.send([sample('m', { a: 'b' }, 1.5, 2), sample('n', {}, NaN, 2)], { signal, attempt: 1 }), { kind: 'ok' });
    const req = receiver.received[0]!;
    assert.equal(req.url, '/prefix/write?db=d+b&rp=r&precision=u');
    assert.equal(req.headers['content-encoding'], 'gzip');
    assert.equal(req.headers.authorization, 'Basic ' + Buffer.from('u:p').toString('base64'));
    assert.equal(gunzipSync(req.body).toString(), 'm,a=b value=1.5 2000');
    assert.equal(ctx.counters.get('influx_nonfinite_dropped_total'), 1);
    await sink.close?.();
  });

  it('v2: plain body to /api/v2/write with org, bucket and token', async () => {
    const { sink } = make({ api: 'v2', org: 'o', bucket: 'db/rp', token: 'tok', gzip: false });
    await sink.send([sample('m', {}, 1, 2)], { signal, attempt: 1 });
    const req = receiver.received[0]!;
    assert.equal(req.url, '/prefix/api/v2/write?org=o&bucket=db%2Frp&precision=ms');
    assert.equal(req.headers.authorization, 'Token tok');
    assert.equal(req.headers['content-encoding'], undefined);
    assert.equal(req.body.toString(), 'm value=1 2');
    await sink.close?.();
  });

  it('retries 503 and 429 (Retry-After), splits on 413, and dead-letters only the identified points of a partial write', async () => {
    receiver.answer(
      { status: 503 },
      { status: 429, headers: { 'Retry-After': '2' } },
      { status: 413, body: 'Request Entity Too Large' },
      { status: 400, body: '{"error":"partial write: field type conflict: input field \\"value\\" on measurement \\"b\\" is type float, already exists as type integer dropped=1"}' },
    );
    const { sink } = make({ database: 'd' });
    const batch = [sample('a', {}, 1, 1), sample('b', {}, 1, 1), sample('', {}, 1, 1)];
    assert.equal((await sink.send(batch, { signal, attempt: 1 })).kind, 'partial'); // 503: retry the two sendable, reject the nameless
    const second = await sink.send(batch, { signal, attempt: 2 });
    assert.equal(second.kind === 'partial' && second.retryAfterMs, 2000);
    assert.equal((await sink.send(batch, { signal, attempt: 3 })).kind, 'too_large');
    const fourth = await sink.send(batch, { signal, attempt: 4 });
    assert.deepEqual(fourth.kind === 'partial' && [fourth.retry, fourth.reject.map((r) => r.index)], [[], [2, 1]]);
    await sink.close?.();
  });
});
