import assert from 'node:assert/strict';
import { parseConfigText } from '../../src/config/load';
import { ConfigError, formatProblem } from '../../src/errors';
import { openSearchSchema } from '../../src/sinks/opensearch/schema';
import { documentId, encodeBulk, IndexNamer, logDocument, sampleDocument } from '../../src/sinks/opensearch/encode';
import { classifyBulkResponse, classifyRequestStatus, classifyTransportError, parseBulkAnswer, type RawResponse } from '../../src/sinks/opensearch/client';
import { expiredIndices } from '../../src/sinks/opensearch/lifecycle';
import { indexTemplates, ismPolicy } from '../../src/sinks/opensearch/template';
import { errors } from '@opensearch-project/opensearch';
import type { LogRecord } from '../../src/model';
import { CAPTURED_BULK_RESPONSE, logRecord, sample } from './opensearch.fixtures';

const cfg = (extra: Record<string, unknown> = {}) => openSearchSchema.parse({ type: 'opensearch', inputs: ['logs'], url: 'http://127.0.0.1:9200', ...extra });
const namer = new IndexNamer({ logsPrefix: 'flink-logs', metricsPrefix: 'flink-metrics', dataStream: false });
const URL = 'http://127.0.0.1:9200';

describe('opensearch sink: schema', () => {
  it('fills the documented defaults', () => {
    const c = cfg();
    assert.equal(c.index_prefix, 'flink-logs');
    assert.equal(c.accept_metrics, false);
    assert.equal(c.number_of_replicas, 1);
    assert.equal(c.retention_days, 14);
    assert.equal(c.data_stream, false);
  });
  it('rejects an unknown field and an index prefix OpenSearch would refuse', () => {
    assert.throws(() => cfg({ index_prefx: 'x' }), /index_prefx/);
    assert.throws(() => cfg({ index_prefix: 'Flink_Logs' }), /index_prefix/);
    assert.throws(() => cfg({ url: 'ftp://x' }));
  });
  it('refuses a query string or #fragment in url (the client would send the query with every request), keeps a path prefix', () => {
    const load = (url: string) => parseConfigText(`sources:\n  h:\n    type: host\nsinks:\n  os:\n    type: opensearch\n    inputs: [h]\n    url: ${url}\n`, 'agent.yaml', {});
    const message =
      'agent.yaml:8:10 sinks.os.url: has a query string or a #fragment in it; remove it: a query string would be sent with every request. Put a path prefix in url (https://proxy.example/opensearch) and credentials in auth';
    for (const url of ['http://127.0.0.1:9200/?pretty=true', 'https://proxy.example/opensearch?x=1', 'http://127.0.0.1:9200#x', 'http://127.0.0.1:9200/?']) {
      assert.throws(() => load(url), (err: unknown) => err instanceof ConfigError && err.problems.map(formatProblem).join('\n') === message, url);
    }
    assert.equal(load('https://proxy.example/opensearch/').config.sinks['os']!['url'], 'https://proxy.example/opensearch/');
  });
});

describe('opensearch sink: encode', () => {
  // What JSON.stringify sends: the base fields of logRecord(i) without its promoted ones.
  const base = (i: number) => ({
    '@timestamp': new Date(Date.UTC(2026, 10, 24, 10, 0, 0) + i).toISOString(), level: 'INFO', message: `Checkpoint ${i} of job 3f2a completed`, log_kind: 'log',
    logger: 'org.apache.flink.runtime.checkpoint.CheckpointCoordinator', thread: 'jobmanager-io-thread-1', component: 'jobmanager', stream: 'log',
  });
  it('promotes job_id, checkpoint_id, node and cluster and keeps the rest under attributes/labels', () => {
    const doc = JSON.parse(JSON.stringify(logDocument(logRecord(7))));
    assert.deepEqual(doc, {
      '@timestamp': '2026-11-24T10:00:00.007Z',
      level: 'INFO',
      message: 'Checkpoint 7 of job 3f2a completed',
      log_kind: 'log',
      logger: 'org.apache.flink.runtime.checkpoint.CheckpointCoordinator',
      thread: 'jobmanager-io-thread-1',
      component: 'jobmanager',
      stream: 'log',
      cluster: 'c1',
      node: 'n1',
      job_id: '3f2a9c',
      checkpoint_id: '7',
      labels: { env: 'test' },
      attributes: { file: '/opt/flink/log/flink-jm.log' },
    });
  });
  it('writes log documents of every variant in the same fixed form', () => {
    const variants: LogRecord[] = [
      logRecord(2, { logger: undefined, thread: undefined, component: undefined, stream: undefined }),
      logRecord(3, { labels: { env: 'x', '7': 'numeric key first', node: 'n1' }, attributes: { file: 'f', task_name: 'Map (1/2)' } }),
      logRecord(4, { labels: {}, attributes: {} }),
      logRecord(6, { message: 'quote " backslash \\ newline \n ünïcode 😀 \u0001', level: 'ERROR', logKind: 'event' }),
      logRecord(7, { exception: { type: 'java.io.IOException', message: 'boom', stack: 'java.io.IOException: boom\n\tat x', causes: [] } }),
    ];
    assert.deepEqual(variants.map((r) => JSON.parse(JSON.stringify(logDocument(r)))), [
      { '@timestamp': '2026-11-24T10:00:00.002Z', level: 'INFO', message: 'Checkpoint 2 of job 3f2a completed', log_kind: 'log', cluster: 'c1', node: 'n1', job_id: '3f2a9c', checkpoint_id: '2', labels: { env: 'test' }, attributes: { file: '/opt/flink/log/flink-jm.log' } },
      { ...base(3), node: 'n1', task_name: 'Map (1/2)', labels: { 7: 'numeric key first', env: 'x' }, attributes: { file: 'f' } },
      { ...base(4), labels: {}, attributes: {} },
      { ...base(6), level: 'ERROR', log_kind: 'event', message: 'quote " backslash \\ newline \n ünïcode 😀 \u0001', cluster: 'c1', node: 'n1', job_id: '3f2a9c', checkpoint_id: '6', labels: { env: 'test' }, attributes: { file: '/opt/flink/log/flink-jm.log' } },
      { ...base(7), exception: { type: 'java.io.IOException', message: 'boom', stack: 'java.io.IOException: boom\n\tat x', causes: [] }, cluster: 'c1', node: 'n1', job_id: '3f2a9c', checkpoint_id: '7', labels: { env: 'test' }, attributes: { file: '/opt/flink/log/flink-jm.log' } },
    ]);
  });
  it('writes @timestamp as toISOString does, for any millisecond and outside the usual years', () => {
    for (const ms of [Date.UTC(2026, 0, 1, 0, 0, 0, 5), Date.UTC(2026, 0, 1, 0, 0, 0, 50), Date.UTC(2026, 0, 1, 0, 0, 1, 999), 0, -1, 1_700_000_000_123.75, Date.UTC(10000, 0, 1)]) {
      assert.equal(logDocument(logRecord(0, { timestampMs: ms }))['@timestamp'], new Date(ms).toISOString());
    }
  });
  it('writes a non-finite sample value as null (JSON has no NaN)', () => {
    assert.equal(sampleDocument(sample(1, { value: Number.NaN })).value, null);
    assert.equal(sampleDocument(sample(1, { value: 2.5 })).value, 2.5);
  });
  it('names daily indices by the UTC day of the record, or the data stream by its prefix', () => {
    assert.equal(namer.indexFor(logRecord(0, { timestampMs: Date.UTC(2026, 0, 2, 23, 59) })), 'flink-logs-2026.01.02');
    assert.equal(namer.indexFor(sample(0, { timestampMs: Date.UTC(2026, 11, 31) })), 'flink-metrics-2026.12.31');
    const around = [Date.UTC(2026, 0, 2, 23, 59, 59, 999), Date.UTC(2026, 0, 3), Date.UTC(2026, 0, 2, 12), Date.UTC(2026, 0, 3, 23, 59, 59, 999)];
    assert.deepEqual(around.map((t) => namer.indexFor(logRecord(0, { timestampMs: t }))), ['flink-logs-2026.01.02', 'flink-logs-2026.01.03', 'flink-logs-2026.01.02', 'flink-logs-2026.01.03']);
    assert.equal(namer.indexFor(sample(0, { timestampMs: Date.UTC(2026, 0, 3) })), 'flink-metrics-2026.01.03', 'same day, other kind');
    assert.equal(new IndexNamer({ logsPrefix: 'a', metricsPrefix: 'b', dataStream: true }).indexFor(logRecord(0)), 'a');
  });
  it('keeps ids deterministic: the record id, a hash for ids over 512 bytes, series+time for samples', () => {
    assert.equal(documentId(logRecord(3)), 'n1:flink-jm.log:1234:300');
    const long = documentId(logRecord(0, { id: 'x'.repeat(600) }));
    assert.match(long, /^[0-9a-f]{64}$/);
    assert.equal(documentId(logRecord(0, { id: 'x'.repeat(600) })), long);
    assert.equal(documentId(sample(1)), documentId(sample(1, { labels: { tm_id: 'tm-1', node: 'n1', cluster: 'c1' } })));
    assert.notEqual(documentId(sample(1)), documentId(sample(1, { timestampMs: 1 })));
  });
  it('builds create actions with a trailing newline and refuses an impossible timestamp', () => {
    const { body, sent, problems } = encodeBulk([logRecord(1), logRecord(2, { timestampMs: Number.NaN }), sample(3)], namer);
    const lines = body.toString('utf8').split('\n');
    assert.equal(lines.length, 5);
    assert.equal(lines[4], '');
    assert.deepEqual(JSON.parse(lines[0]!), { create: { _index: 'flink-logs-2026.11.24', _id: 'n1:flink-jm.log:1234:100' } });
    assert.equal(JSON.parse(lines[3]!).name, 'flink_taskmanager_Status_JVM_CPU_Load');
    assert.deepEqual(sent, [0, 2]);
    assert.deepEqual(problems.map((p) => p.index), [1]);
  });
});

describe('opensearch sink: item-level classification of a captured _bulk answer', () => {
  const res: RawResponse = { status: 200, headers: {}, body: CAPTURED_BULK_RESPONSE };
  // The 5 bulk items were records 0, 2, 3, 5, 6 of the batch; record 1 and 4 were refused by the encoder.
  const sent = [0, 2, 3, 5, 6];
  it('counts 409 as delivered, rejects the two mapping errors with the server reason, keeps the rest', () => {
    const { result, duplicates } = classifyBulkResponse(res, sent, [{ index: 4, reason: 'bad ts' }], URL);
    assert.equal(duplicates, 1);
    assert.equal(result.kind, 'partial');
    if (result.kind !== 'partial') return;
    assert.deepEqual(result.retry, []);
    assert.deepEqual(result.reject.map((r) => r.index), [4, 3, 5]);
    assert.match(result.reject[1]!.reason, /^HTTP 400 mapper_parsing_exception: failed to parse field \[level\] of type \[keyword\].*START_OBJECT/);
    assert.match(result.reject[2]!.reason, /Existing mapping for \[attributes.x\]/);
  });
  it('retries only the items that failed with 429 or 5xx', () => {
    const body = {
      errors: true,
      items: [
        { create: { status: 429, error: { type: 'es_rejected_execution_exception', reason: 'rejected execution of coordinating operation' } } },
        { create: { status: 201 } },
        { create: { status: 503, error: { type: 'unavailable_shards_exception', reason: 'primary shard is not active' } } },
        { create: { status: 409 } },
      ],
    };
    const { result } = classifyBulkResponse({ status: 200, headers: {}, body }, [0, 1, 2, 3], [], URL);
    assert.deepEqual(result, { kind: 'partial', retry: [0, 2], reject: [] });
  });
  it('is ok when every failure is a 409 (a replay of delivered documents)', () => {
    const body = { errors: true, items: [{ create: { status: 409 } }, { create: { status: 201 } }] };
    assert.deepEqual(classifyBulkResponse({ status: 200, headers: {}, body }, [0, 1], [], URL), { result: { kind: 'ok' }, duplicates: 1 });
  });
  it('resends everything when the item count does not match (cannot map items to records)', () => {
    const body = { errors: true, items: [{ create: { status: 201 } }] };
    assert.equal(classifyBulkResponse({ status: 200, headers: {}, body }, [0, 1], [], URL).result.kind, 'retry');
  });
  it('reads a delivered batch from the start of the answer, and parses every other answer in full', () => {
    assert.deepEqual(parseBulkAnswer('{"errors":false,"items":[{"create":{"status":201}}]}'), { errors: false });
    const failed = '{"errors":true,"items":[{"create":{"status":201}},{"create":{"status":429,"error":{"type":"x","reason":"busy"}}}]}';
    assert.deepEqual(parseBulkAnswer(failed), JSON.parse(failed));
    assert.deepEqual(classifyBulkResponse({ status: 200, headers: {}, body: parseBulkAnswer(failed) }, [0, 1], [], URL).result, { kind: 'partial', retry: [1], reject: [] });
    assert.deepEqual(parseBulkAnswer('{ "errors" : false, "items": [] }'), { errors: false, items: [] }, 'other spacing: parsed, not guessed');
    assert.equal(parseBulkAnswer('<html>proxy</html>'), '<html>proxy</html>');
  });
  it('retries a 200 that is not a bulk answer (the URL points at something else)', () => {
    const { result } = classifyBulkResponse({ status: 200, headers: {}, body: '<html>' }, [0], [], URL);
    assert.equal(result.kind, 'retry');
    assert.match('reason' in result ? result.reason : '', /check url/);
  });
});

describe('opensearch sink: whole-request classification', () => {
  const table: Array<[number, string, RegExp]> = [
    [401, 'retry', /authentication failed \(HTTP 401\) — check auth.username\/password/],
    [403, 'retry', /permission denied/],
    [404, 'retry', /check url/],
    [413, 'too_large', /413/],
    [429, 'retry', /429/],
    [400, 'reject', /illegal_argument_exception/],
    [500, 'retry', /500/],
    [503, 'retry', /503/],
  ];
  for (const [status, kind, reason] of table) {
    it(`classifies HTTP ${status} as ${kind}`, () => {
      const r = classifyRequestStatus({ status, headers: { 'retry-after': '3' }, body: { error: { type: 'illegal_argument_exception' }, status } }, URL);
      assert.equal(r.kind, kind);
      assert.match('reason' in r ? r.reason : '', reason);
      if (status === 429) assert.equal(r.kind === 'retry' && r.afterMs, 3000);
    });
  }
  it('keeps encoder refusals when the whole request is retried', () => {
    const { result } = classifyBulkResponse({ status: 503, headers: {}, body: '' }, [0, 2], [{ index: 1, reason: 'bad ts' }], URL);
    assert.deepEqual(result, { kind: 'partial', retry: [0, 2], reject: [{ index: 1, reason: 'bad ts' }] });
  });
  it('names the code of a connection failure and a TLS failure', () => {
    const refused = classifyTransportError(new errors.ConnectionError('connect ECONNREFUSED 127.0.0.1:1'), URL);
    assert.equal(refused.kind, 'retry');
    assert.match('reason' in refused ? refused.reason : '', /unreachable \(ECONNREFUSED/);
    const tls = classifyTransportError(new errors.ConnectionError('self-signed certificate in certificate chain'), URL);
    assert.match('reason' in tls ? tls.reason : '', /TLS failure.*check tls.ca_file/);
    const timeout = classifyTransportError(new errors.TimeoutError('Request timed out', {} as never), URL);
    assert.equal(timeout.kind, 'retry');
  });
});

describe('opensearch sink: templates and retention', () => {
  it('builds a template per prefix with the configured replicas and explicit mappings', () => {
    const [logs, metrics] = indexTemplates(cfg({ accept_metrics: true, number_of_replicas: 0 }));
    assert.deepEqual(logs!.body.index_patterns, ['flink-logs-*']);
    assert.deepEqual((logs!.body.template as { settings: unknown }).settings, { index: { number_of_shards: 1, number_of_replicas: 0 } });
    assert.equal(metrics!.name, 'flink-metrics');
    const ds = indexTemplates(cfg({ data_stream: true }))[0]!;
    assert.deepEqual(ds.body.index_patterns, ['flink-logs']);
    assert.deepEqual(ds.body.data_stream, {});
  });
  it('puts a delete transition at retention_days into the ISM policy', () => {
    const p = ismPolicy(cfg({ retention_days: 7 })).body as { policy: { states: Array<{ transitions: Array<{ conditions?: { min_index_age: string } }> }> } };
    assert.equal(p.policy.states[0]!.transitions[0]!.conditions!.min_index_age, '7d');
  });
  it('expires daily indices by the day in their name, keeping retention_days days including today', () => {
    const now = Date.UTC(2026, 10, 24, 12);
    const names = ['flink-logs-2026.11.24', 'flink-logs-2026.11.18', 'flink-logs-2026.11.17', 'flink-logs-2025.01.01', 'flink-logs-other', 'flink-logsx-2020.01.01'];
    const out = expiredIndices(names.map((index) => ({ index })), cfg({ retention_days: 7 }), new Set(), now);
    assert.deepEqual(out, ['flink-logs-2026.11.17', 'flink-logs-2025.01.01']);
    assert.deepEqual(expiredIndices(names.map((index) => ({ index })), cfg({ retention_days: 0 }), new Set(), now), []);
  });
  it('expires data stream backing indices by creation date but never the write index', () => {
    const now = Date.UTC(2026, 10, 24, 12);
    const old = String(Date.UTC(2026, 10, 1));
    const indices = [
      { index: '.ds-flink-logs-000001', 'creation.date': old },
      { index: '.ds-flink-logs-000002', 'creation.date': old },
      { index: '.ds-flink-logs-000003', 'creation.date': String(now) },
    ];
    assert.deepEqual(expiredIndices(indices, cfg({ data_stream: true, retention_days: 3 }), new Set(['.ds-flink-logs-000002']), now), ['.ds-flink-logs-000001']);
  });
});
