// Unit tests of the remote-write sink: protobuf bytes checked with an independent hand-written decoder, snappy
// round trip, label sorting, the staleness NaN, status classification and request shape.
import { strict as assert } from 'node:assert';
import { uncompressSync } from 'snappy';
import type { TelemetryRecord } from '../../src/model';
import { classifyRemoteWrite } from '../../src/sinks/prometheus-remote-write/client';
import { encodeLabels, RemoteWriteEncoder } from '../../src/sinks/prometheus-remote-write/encode';
import { remoteWriteSink } from '../../src/sinks/prometheus-remote-write';
import { remoteWriteSchema } from '../../src/sinks/prometheus-remote-write/schema';
import { withEncoderRejects } from '../../src/sinks/shared/http-client';
import { SeriesCache } from '../../src/sinks/shared/series-cache';
import { readFileSync } from 'node:fs';
import { FaultInjectingReceiver, sample, selfSignedCert, testContext } from './prometheus-remote-write.fixtures';

// ---- an independent protobuf reader (just enough wire format for WriteRequest) ----
interface Field { no: number; wire: number; int?: bigint; bytes?: Buffer }
function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return result;
      shift += 7n;
    }
  };
  while (pos < buf.length) {
    const key = Number(varint());
    const no = key >> 3;
    const wire = key & 7;
    if (wire === 0) out.push({ no, wire, int: varint() });
    else if (wire === 1) out.push({ no, wire, bytes: buf.subarray(pos, (pos += 8)) });
    else if (wire === 2) {
      const len = Number(varint());
      out.push({ no, wire, bytes: buf.subarray(pos, (pos += len)) });
    } else throw new Error(`unexpected wire type ${wire} at ${pos}`);
  }
  assert.equal(pos, buf.length, 'message must end exactly at the buffer end');
  return out;
}
interface DecodedSeries { labels: Array<[string, string]>; samples: Array<{ value: number; bits: bigint; ts: number }> }
function decodeWriteRequest(buf: Buffer): DecodedSeries[] {
  return fields(buf).map((ts) => {
    assert.equal(ts.no, 1);
    const series: DecodedSeries = { labels: [], samples: [] };
    for (const f of fields(ts.bytes!)) {
      if (f.no === 1) {
        const [n, v] = fields(f.bytes!);
        series.labels.push([n!.bytes!.toString('utf8'), v!.bytes!.toString('utf8')]);
      } else {
        assert.equal(f.no, 2);
        const [value, time] = fields(f.bytes!);
        assert.equal(value!.no, 1);
        assert.equal(value!.wire, 1);
        assert.equal(time!.no, 2);
        series.samples.push({ value: value!.bytes!.readDoubleLE(0), bits: value!.bytes!.readBigUInt64LE(0), ts: Number(time!.int!) });
      }
    }
    return series;
  });
}

describe('prometheus_remote_write encoder', () => {
  it('encodes a sample as the exact WriteRequest bytes (golden)', () => {
    const { body } = new RemoteWriteEncoder().encode([sample('up', { job: 'a' }, 1, 1)]);
    // timeseries{ labels{__name__:up} labels{job:a} samples{value:1.0 ts:1} }
    const expected = Buffer.from([
      0x0a, 0x27,
      0x0a, 0x0e, 0x0a, 0x08, ...Buffer.from('__name__'), 0x12, 0x02, ...Buffer.from('up'),
      0x0a, 0x08, 0x0a, 0x03, ...Buffer.from('job'), 0x12, 0x01, ...Buffer.from('a'),
      0x12, 0x0b, 0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x10, 0x01,
    ]);
    assert.deepEqual(body, expected);
  });

  it('groups samples per series, sorts labels by name with __name__ where the sort puts it, and keeps values and ms timestamps', () => {
    const t = 1_795_650_000_123;
    const records = [
      sample('flink_taskmanager_Status_JVM_CPU_Load', { tm_id: 'tm-1', host: 'h1', Zone: 'z', job: 'flink' }, 0.25, t),
      sample('flink_jobmanager_numRunningJobs', { host: 'h1' }, 3, t),
      sample('flink_taskmanager_Status_JVM_CPU_Load', { job: 'flink', host: 'h1', Zone: 'z', tm_id: 'tm-1' }, 0.5, t + 1000),
    ];
    const decoded = decodeWriteRequest(new RemoteWriteEncoder().encode(records).body);
    assert.equal(decoded.length, 2);
    assert.deepEqual(decoded[0]!.labels, [['Zone', 'z'], ['__name__', 'flink_taskmanager_Status_JVM_CPU_Load'], ['host', 'h1'], ['job', 'flink'], ['tm_id', 'tm-1']]);
    assert.deepEqual(decoded[0]!.samples.map((s) => [s.value, s.ts]), [[0.25, t], [0.5, t + 1000]]);
    assert.deepEqual(decoded[1]!.labels, [['__name__', 'flink_jobmanager_numRunningJobs'], ['host', 'h1']]);
    assert.deepEqual(decoded[1]!.samples.map((s) => [s.value, s.ts]), [[3, t]]);
  });

  it('orders samples by timestamp within a series and keeps only the last of equal timestamps', () => {
    const enc = new RemoteWriteEncoder().encode([
      sample('m', {}, 3, 3000), sample('m', {}, 1, 1000), sample('m', {}, 2, 2000), sample('m', {}, 22, 2000),
    ]);
    assert.equal(enc.merged, 1);
    assert.deepEqual(decodeWriteRequest(enc.body)[0]!.samples.map((s) => [s.ts, s.value]), [[1000, 1], [2000, 22], [3000, 3]]);
  });

  it('writes the staleness marker as NaN with bits 0x7ff0000000000002, distinct from an ordinary NaN', () => {
    const [series] = decodeWriteRequest(new RemoteWriteEncoder().encode([sample('m', {}, 5, 1000, { stale: true }), sample('m', {}, NaN, 2000)]).body);
    assert.equal(series!.samples[0]!.bits, 0x7ff0000000000002n);
    assert.ok(Number.isNaN(series!.samples[0]!.value));
    assert.ok(Number.isNaN(series!.samples[1]!.value));
    assert.notEqual(series!.samples[1]!.bits, 0x7ff0000000000002n);
  });

  it('encodes UTF-8 label values and multi-byte varints (long values, large timestamps)', () => {
    const long = 'é'.repeat(200);
    const [series] = decodeWriteRequest(new RemoteWriteEncoder().encode([sample('m', { v: long, job: 'ß"\\\n' }, -1.5e300, 2 ** 52)]).body);
    assert.deepEqual(series!.labels, [['__name__', 'm'], ['job', 'ß"\\\n'], ['v', long]]);
    assert.deepEqual(series!.samples.map((s) => [s.value, s.ts]), [[-1.5e300, 2 ** 52]]);
  });

  it('drops empty label values and ignores a __name__ label in favour of the sample name', () => {
    const [series] = decodeWriteRequest(new RemoteWriteEncoder().encode([sample('real', { __name__: 'fake', empty: '', a: 'x' }, 1, 1)]).body);
    assert.deepEqual(series!.labels, [['__name__', 'real'], ['a', 'x']]);
  });

  const invalid: Array<[string, TelemetryRecord, RegExp]> = [
    ['no metric name', sample('', { a: 'b' }, 1, 1), /no metric name/],
    ['an invalid metric name', sample('bad-name', {}, 1, 1), /metric name "bad-name"/],
    ['an invalid label name', sample('m', { 'bad.label': 'x' }, 1, 1), /label name "bad.label"/],
    ['a negative timestamp', sample('m', {}, 1, -5), /timestamp -5/],
    ['a NaN timestamp', sample('m', {}, 1, NaN), /timestamp NaN/],
    ['a log record', { kind: 'log', id: 'x', logKind: 'log', timestampMs: 1, level: 'INFO', message: 'm', attributes: {}, labels: {} }, /samples only/],
  ];
  for (const [what, record, reason] of invalid) {
    it(`refuses ${what} with a reason and still sends the rest`, () => {
      const enc = new RemoteWriteEncoder().encode([sample('ok_metric', {}, 1, 1), record]);
      assert.equal(enc.rejected.length, 1);
      assert.equal(enc.rejected[0]!.index, 1);
      assert.match(enc.rejected[0]!.reason, reason);
      assert.deepEqual(decodeWriteRequest(enc.body).map((s) => s.labels[0]![1]), ['ok_metric']);
    });
  }

  it('reuses the cached label encoding and stays correct across batches', () => {
    const encoder = new RemoteWriteEncoder();
    const first = encoder.encode([sample('m', { a: '1' }, 1, 1)]).body;
    const second = encoder.encode([sample('m', { a: '1' }, 1, 1)]).body;
    assert.deepEqual(first, second);
    // A label set whose naive concatenation equals another's must not share a cache entry.
    const x = decodeWriteRequest(encoder.encode([sample('m', { a: '1|b' }, 1, 1)]).body)[0]!.labels;
    const y = decodeWriteRequest(encoder.encode([sample('m', { a: '1', b: '' }, 1, 1)]).body)[0]!.labels;
    assert.deepEqual(x, [['__name__', 'm'], ['a', '1|b']]);
    assert.deepEqual(y, [['__name__', 'm'], ['a', '1']]);
  });

  it('groups the samples of one series across frozen and fresh label objects, in any key order, sorted by time', () => {
    const frozen = Object.freeze({ a: '1', b: '2' });
    const batch = [sample('m', frozen, 1, 3000), sample('m', { b: '2', a: '1' }, 2, 1000), sample('n', frozen, 3, 1000), sample('m', frozen, 4, 2000)];
    const encoder = new RemoteWriteEncoder();
    for (let round = 0; round < 2; round++) {
      const series = decodeWriteRequest(encoder.encode(batch).body);
      assert.deepEqual(series.map((s) => [s.labels[0]![1], s.samples.map((x) => x.value)]), [['m', [2, 4, 1]], ['n', [3]]]);
    }
  });

  it('writes the same bytes into a reused body as into fresh ones while batches grow, shrink and mix timestamp sizes', () => {
    const frozen = Array.from({ length: 300 }, (_, i) => Object.freeze({ i: String(i) }));
    const batches: TelemetryRecord[][] = [
      [sample('m', frozen[0]!, 1, 1), sample('m', frozen[1]!, 2, 2 ** 52)],
      frozen.map((labels, i) => sample('m', labels, i, 1_795_650_000_000 + (i % 3))),
      [sample('m', frozen[2]!, 5, 1_795_650_001_000, { stale: true }), sample('m', frozen[2]!, 4, 1_795_650_000_000), sample('m', frozen[3]!, 6, 7)],
    ];
    const fresh = new RemoteWriteEncoder();
    const reused = new RemoteWriteEncoder({ reuseBody: true });
    const underlying = new Set<ArrayBufferLike>();
    for (let round = 0; round < 2; round++) {
      for (const batch of batches) {
        const body = reused.encode(batch).body;
        underlying.add(body.buffer);
        assert.deepEqual(Buffer.from(body), fresh.encode(batch).body);
      }
    }
    // One buffer for the first batch, one once the 300-series batch outgrew it; never one per batch.
    assert.equal(underlying.size, 2);
  });

  it('matches encodeLabels for a single series and survives a snappy block round trip', async () => {
    const { compressSync } = await import('snappy');
    const body = new RemoteWriteEncoder().encode(Array.from({ length: 500 }, (_, i) => sample('m', { i: String(i % 7) }, i, 1000 + i))).body;
    assert.deepEqual(uncompressSync(compressSync(body)), body);
    const labels = encodeLabels('m', { i: '0' });
    assert.ok(Buffer.isBuffer(labels));
    assert.ok(body.includes(labels as Buffer));
  });
});

describe('prometheus_remote_write classification', () => {
  const table: Array<[number, string, number, string, boolean]> = [
    [204, '', 1, 'ok', false],
    [200, '', 1, 'ok', false],
    [500, 'boom', 1, 'retry', false],
    [503, '', 1, 'retry', false],
    [429, '', 1, 'retry', false],
    [413, '', 1, 'too_large', false],
    [404, 'not found', 1, 'reject', false],
    [400, 'snappy: corrupt input', 2, 'reject', false],
    [400, 'out of order sample', 1, 'reject', false],
    [400, 'out of order sample', 2, 'ok', true],
    [400, 'duplicate sample for timestamp', 3, 'ok', true],
    [400, 'err-mimir-sample-timestamp-too-old', 2, 'ok', true],
    [400, 'out of bounds', 2, 'ok', true],
    [500, 'out of order sample', 2, 'retry', false],
  ];
  for (const [status, body, attempt, kind, dup] of table) {
    it(`HTTP ${status} "${body}" on attempt ${attempt} → ${kind}${dup ? ' (already delivered)' : ''}`, () => {
      const out = classifyRemoteWrite(status, undefined, body, attempt, 'http://x/api/v1/write');
      assert.equal(out.result.kind, kind);
      assert.equal(out.duplicateOnRetry, dup);
      if (out.result.kind !== 'ok' && out.result.kind !== 'partial') assert.match(out.result.reason, /http:\/\/x\/api\/v1\/write/);
    });
  }

  it('takes Retry-After seconds from a 429', () => {
    const { result } = classifyRemoteWrite(429, '7', '', 1, 't');
    assert.deepEqual(result.kind === 'retry' && result.afterMs, 7000);
  });

  it('combines encoder rejects with the server answer', () => {
    const rej = [{ index: 1, reason: 'bad' }];
    assert.deepEqual(withEncoderRejects({ kind: 'ok' }, rej, 3), { kind: 'partial', retry: [], reject: rej });
    assert.deepEqual(withEncoderRejects({ kind: 'retry', reason: 'r', afterMs: 5 }, rej, 3), { kind: 'partial', retry: [0, 2], reject: rej, retryAfterMs: 5 });
    assert.deepEqual(withEncoderRejects({ kind: 'reject', reason: 'no' }, rej, 3), {
      kind: 'partial', retry: [], reject: [...rej, { index: 0, reason: 'no' }, { index: 2, reason: 'no' }],
    });
    assert.deepEqual(withEncoderRejects({ kind: 'too_large', reason: 'big' }, rej, 3), { kind: 'too_large', reason: 'big' });
    assert.deepEqual(withEncoderRejects({ kind: 'ok' }, [], 3), { kind: 'ok' });
  });
});

describe('prometheus_remote_write schema', () => {
  it('parses a minimal config with defaults', () => {
    const cfg = remoteWriteSchema.parse({ type: 'prometheus_remote_write', url: 'http://127.0.0.1:8428/api/v1/write', inputs: ['flink'] });
    assert.deepEqual(cfg.headers, {});
    assert.equal(cfg.request.concurrency, 2);
  });
  for (const [what, extra, msg] of [
    ['a reserved header', { headers: { 'Content-Type': 'text/plain' } }, /may not set/],
    ['an unknown field', { urll: 'x' }, /urll/],
    ['a non-http url', { url: 'ftp://x/y' }, /url/],
    ['bearer and basic auth together', { auth: { bearer_token: 't', username: 'u' } }, /either bearer_token/],
  ] as const) {
    it(`refuses ${what}`, () => {
      const r = remoteWriteSchema.safeParse({ type: 'prometheus_remote_write', url: 'http://h/api/v1/write', inputs: ['a'], ...extra });
      assert.equal(r.success, false);
      assert.match(JSON.stringify(r.error!.issues), msg);
    });
  }
});

describe('prometheus_remote_write sink against a FaultInjectingReceiver', () => {
  let receiver: FaultInjectingReceiver;
  beforeEach(async () => (receiver = await new FaultInjectingReceiver().start()));
  afterEach(() => receiver.stop());

  function makeSink(extra: Record<string, unknown> = {}) {
    const ctx = testContext('rw');
    const config = remoteWriteSchema.parse({ type: 'prometheus_remote_write', url: `${receiver.url}/api/v1/prom/remote/write`, inputs: ['a'], ...extra });
    return { ctx, sink: remoteWriteSink.create(config, ctx) };
  }
  const signal = new AbortController().signal;

  it('sends the spec headers, custom headers and bearer auth to the configured path with a snappy body', async () => {
    const { sink } = makeSink({ headers: { 'M3-Metrics-Type': 'aggregated', 'M3-Storage-Policy': '1m:48h' }, auth: { bearer_token: 's3cret' } });
    const result = await sink.send([sample('m', { a: 'b' }, 2, 1000)], { signal, attempt: 1 });
    assert.deepEqual(result, { kind: 'ok' });
    const req = receiver.received[0]!;
    assert.equal(req.url, '/api/v1/prom/remote/write');
    assert.equal(req.headers['content-encoding'], 'snappy');
    assert.equal(req.headers['content-type'], 'application/x-protobuf');
    assert.equal(req.headers['x-prometheus-remote-write-version'], '0.1.0');
    assert.match(req.headers['user-agent']!, /^flink-telemetry-agent\/\d/);
    assert.equal(req.headers['m3-metrics-type'], 'aggregated');
    assert.equal(req.headers['m3-storage-policy'], '1m:48h');
    assert.equal(req.headers.authorization, 'Bearer s3cret');
    assert.deepEqual(decodeWriteRequest(uncompressSync(req.body) as Buffer)[0]!.samples.map((s) => s.value), [2]);
    await sink.close?.();
  });

  it('retries 503 and 429 with Retry-After, then succeeds', async () => {
    receiver.answer({ status: 503, body: 'overloaded' }, { status: 429, headers: { 'Retry-After': '3' } });
    const { sink } = makeSink({ auth: { username: 'u', password: 'p' } });
    const batch = [sample('m', {}, 1, 1)];
    const first = await sink.send(batch, { signal, attempt: 1 });
    assert.equal(first.kind, 'retry');
    assert.match(first.kind === 'retry' ? first.reason : '', /503.*overloaded/);
    assert.deepEqual(await sink.send(batch, { signal, attempt: 2 }).then((r) => r.kind === 'retry' && r.afterMs), 3000);
    assert.deepEqual(await sink.send(batch, { signal, attempt: 3 }), { kind: 'ok' });
    assert.equal(receiver.received[0]!.headers.authorization, 'Basic ' + Buffer.from('u:p').toString('base64'));
    await sink.close?.();
  });

  it('counts a 400 "out of order" on a retry as delivered, and dead-letters it on the first attempt', async () => {
    receiver.answer({ status: 400, body: 'out of order sample' }, { status: 400, body: 'out of order sample' });
    const { sink, ctx } = makeSink();
    const batch = [sample('m', {}, 1, 1), sample('m', {}, 2, 2)];
    assert.equal((await sink.send(batch, { signal, attempt: 1 })).kind, 'reject');
    assert.equal(ctx.counters.get('remote_write_duplicate_on_retry_total'), 0);
    assert.deepEqual(await sink.send(batch, { signal, attempt: 2 }), { kind: 'ok' });
    assert.equal(ctx.counters.get('remote_write_duplicate_on_retry_total'), 2);
    await sink.close?.();
  });

  it('classifies a refused connection as retry naming the target', async () => {
    const { sink } = makeSink();
    await receiver.stop();
    const r = await sink.send([sample('m', {}, 1, 1)], { signal, attempt: 1 });
    assert.equal(r.kind, 'retry');
    assert.match(r.kind === 'retry' ? r.reason : '', /ECONNREFUSED/);
    await sink.close?.();
  });

  it('keeps request.concurrency requests on the wire while the batch built ahead (readyAhead) waits for a connection', async () => {
    receiver.answer(...Array.from({ length: 3 }, () => ({ status: 204, delayMs: 100 })));
    const { sink } = makeSink({ request: { concurrency: 2 } });
    assert.equal(sink.readyAhead, 1);
    // What the SinkRunner does with this sink: concurrency + readyAhead sends at once.
    const results = await Promise.all([1, 2, 3].map((t) => sink.send([sample('m', {}, t, t)], { signal, attempt: 1 })));
    assert.deepEqual(results, [{ kind: 'ok' }, { kind: 'ok' }, { kind: 'ok' }]);
    assert.equal(receiver.received.length, 3);
    assert.equal(receiver.maxOpen, 2, 'requests the receiver held at once');
    await sink.close?.();
  });

  it('does not send a request when every record is refused by the encoder', async () => {
    const { sink } = makeSink();
    const r = await sink.send([sample('', {}, 1, 1)], { signal, attempt: 1 });
    assert.equal(r.kind, 'partial');
    assert.equal(receiver.received.length, 0);
    await sink.close?.();
  });
});

describe('prometheus_remote_write over TLS (FaultInjectingReceiver on https)', () => {
  let receiver: FaultInjectingReceiver;
  let cert: { keyFile: string; certFile: string };
  before(async () => {
    cert = selfSignedCert();
    receiver = await new FaultInjectingReceiver().start({ key: readFileSync(cert.keyFile), cert: readFileSync(cert.certFile) });
  });
  after(() => receiver.stop());
  const send = async (tls: Record<string, unknown> | undefined) => {
    const sink = remoteWriteSink.create(remoteWriteSchema.parse({ type: 'prometheus_remote_write', url: `${receiver.url}/api/v1/write`, inputs: ['a'], ...(tls ? { tls } : {}) }), testContext());
    try {
      return await sink.send([sample('m', {}, 1, 1)], { signal: new AbortController().signal, attempt: 1 });
    } finally {
      await sink.close?.();
    }
  };

  it('trusts the server with tls.ca_file', async () => assert.deepEqual(await send({ ca_file: cert.certFile }), { kind: 'ok' }));
  it('retries an unverifiable certificate with a reason that names tls.ca_file', async () => {
    const r = await send(undefined);
    assert.equal(r.kind, 'retry');
    assert.match(r.kind === 'retry' ? r.reason : '', /TLS failure.*ca_file/);
  });
  it('accepts any certificate with verify: false', async () => assert.deepEqual(await send({ verify: false }), { kind: 'ok' }));
  it('names the field and path of an unreadable ca_file', () => {
    assert.throws(() => remoteWriteSink.create(remoteWriteSchema.parse({ type: 'prometheus_remote_write', url: `${receiver.url}/x`, inputs: ['a'], tls: { ca_file: '/nonexistent.pem' } }), testContext('vm')), /sinks\.vm\.tls\.ca_file: cannot read "\/nonexistent\.pem"/);
  });
});

describe('SeriesCache (the per-series memo of the remote-write and InfluxDB encoders)', () => {
  const counting = () => {
    const calls: string[] = [];
    const cache = new SeriesCache((name, labels) => {
      calls.push(`${name}${JSON.stringify(labels)}`);
      return calls.length;
    });
    return { cache, calls };
  };

  it('derives once per series, whether the label object is frozen, fresh or in another key order', () => {
    const { cache, calls } = counting();
    const frozen = Object.freeze({ a: '1', b: '2' });
    assert.equal(cache.get('m', frozen), 1);
    assert.equal(cache.get('m', frozen), 1);
    assert.equal(cache.get('m', { a: '1', b: '2' }), 1);
    assert.equal(cache.get('m', Object.freeze({ a: '1', b: '2' })), 1);
    assert.equal(cache.get('m', { b: '2', a: '1' }), 2, 'another key order is its own entry (the encoder dedupes on the bytes)');
    assert.equal(calls.length, 2);
  });

  it('never answers for another name or another value through a known frozen object', () => {
    const { cache } = counting();
    const frozen = Object.freeze({ a: '1' });
    assert.equal(cache.get('m', frozen), 1);
    assert.equal(cache.get('n', frozen), 2);
    assert.equal(cache.get('m', frozen), 1);
    assert.equal(cache.get('m', { a: '2' }), 3);
  });

  it('never answers for another name through the frozen object expected next in scrape order', () => {
    const { cache } = counting();
    const m = Object.freeze({ a: '1' });
    const n = Object.freeze({ a: '2' });
    assert.equal(cache.get('m', m), 1);
    assert.equal(cache.get('n', n), 2);
    assert.equal(cache.get('m', m), 1);
    assert.equal(cache.get('x', n), 3, 'n is the expected object here, but under another name');
    assert.equal(cache.get('m', m), 1);
    assert.equal(cache.get('n', n), 2);
  });

  it('forgets frozen objects too when it trims', () => {
    const calls: string[] = [];
    const cache = new SeriesCache((name) => calls.push(name), 2);
    const frozen = Object.freeze({ a: '1' });
    cache.get('m', frozen);
    cache.get('n', frozen);
    assert.equal(cache.trim(), true);
    cache.get('m', frozen);
    assert.deepEqual(calls, ['m', 'n', 'm']);
  });
});
