// Against the real OpenSearch 2.19 started by scripts/env (no ISM plugin, no security). Each test uses its own
// index prefix with a random suffix and deletes its indices and templates afterwards.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { withDiskRunner } from '../pipeline/helpers';
import { ensureServices } from '../setup/env';
import { openSearchSink } from '../../src/sinks/opensearch';
import type { OpenSearchSink } from '../../src/sinks/opensearch/sink';
import { formatDay, DAY_MS } from '../../src/sinks/shared/days';
import type { SendResult } from '../../src/model/send-result';
import type { TelemetryRecord } from '../../src/model';
import { logRecord, sample, testContext } from './opensearch.fixtures';

const signal = new AbortController().signal;
const send = (sink: OpenSearchSink, records: TelemetryRecord[]): Promise<SendResult> => sink.send(records, { signal, attempt: 1 });

describe('opensearch sink [needs: OpenSearch from scripts/env up --only opensearch]', function () {
  let url: string;
  let prefix: string;
  const sinks: OpenSearchSink[] = [];

  const os = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> => {
    const res = await fetch(url + path, { method, headers: { 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    return { status: res.status, json: await res.json().catch(() => null) };
  };
  const build = (extra: Record<string, unknown> = {}) => {
    const cfg = openSearchSink.schema.parse({ type: 'opensearch', inputs: ['logs'], url, index_prefix: `${prefix}-logs`, metrics_index_prefix: `${prefix}-metrics`, number_of_replicas: 0, ...extra });
    const { ctx, counters } = testContext('search');
    const sink = openSearchSink.create(cfg, ctx) as OpenSearchSink;
    sinks.push(sink);
    return { sink, counters };
  };
  const search = async (index: string, q = '*'): Promise<any[]> => {
    await os('POST', `/${index}/_refresh`);
    const r = await os('GET', `/${index}/_search?size=1000&q=${encodeURIComponent(q)}&sort=@timestamp:asc&expand_wildcards=all`);
    return (r.json?.hits?.hits ?? []) as any[];
  };

  before(async () => {
    url = (await ensureServices(['opensearch'])).opensearch;
  });
  beforeEach(() => {
    prefix = `fta-it-${randomBytes(4).toString('hex')}`;
  });
  afterEach(async () => {
    await Promise.all(sinks.splice(0).map((s) => s.close()));
    await os('DELETE', `/_data_stream/${prefix}-*`);
    await os('DELETE', `/${prefix}-*?expand_wildcards=all`);
    for (const t of ['logs', 'metrics']) await os('DELETE', `/_index_template/${prefix}-${t}`);
  });

  it('installs the template, stores each record once even when the batch is sent twice (409 path)', async () => {
    const { sink, counters } = build({ accept_metrics: true });
    await sink.start(signal);
    const template = await os('GET', `/_index_template/${prefix}-logs`);
    assert.equal(template.status, 200);
    const t = template.json.index_templates[0].index_template;
    assert.equal(t.template.settings.index.number_of_replicas, '0');
    assert.equal(t.template.mappings.properties.level.type, 'keyword');

    const batch: TelemetryRecord[] = [logRecord(1), logRecord(2, { level: 'ERROR', exception: { type: 'java.io.IOException', message: 'disk', stack: 'java.io.IOException: disk\n\tat X', causes: [] } }), sample(1), sample(2)];
    assert.deepEqual(await send(sink, batch), { kind: 'ok' });
    assert.deepEqual(await send(sink, batch), { kind: 'ok' });
    assert.equal(counters.get('opensearch_already_delivered_total'), 4);

    const day = formatDay(batch[0]!.timestampMs, '.');
    const logs = await search(`${prefix}-logs-${day}`);
    assert.equal(logs.length, 2);
    assert.equal(logs[0]._id, 'n1:flink-jm.log:1234:100');
    assert.equal(logs[1]._source.exception.type, 'java.io.IOException');
    assert.equal(logs[0]._source.job_id, '3f2a9c');
    assert.equal(logs[0]._source.labels.env, 'test');
    assert.equal((await search(`${prefix}-logs-${day}`, 'level:ERROR')).length, 1);
    const metrics = await search(`${prefix}-metrics-${day}`);
    assert.deepEqual(metrics.map((h) => h._source.value), [0.1, 0.2]);
    // The mapping the index got is the template's, not a dynamic guess.
    const mapping = await os('GET', `/${prefix}-logs-${day}/_mapping`);
    assert.equal(mapping.json[`${prefix}-logs-${day}`].mappings.properties.checkpoint_id.type, 'keyword');
    assert.equal(mapping.json[`${prefix}-logs-${day}`].mappings.properties.labels.properties.env.type, 'keyword');
  });

  it('rejects only the item with a mapping conflict, with the server reason, and stores the others', async () => {
    const { sink } = build();
    await sink.start(signal);
    // attributes.file is a keyword after the first document; "file.path" then needs attributes.file to be an object.
    const batch = [logRecord(1), logRecord(2, { attributes: { 'file.path': '/x' } }), logRecord(3)];
    const result = await send(sink, batch);
    assert.equal(result.kind, 'partial');
    if (result.kind !== 'partial') return;
    assert.deepEqual(result.retry, []);
    assert.deepEqual(result.reject.map((r) => r.index), [1]);
    assert.match(result.reject[0]!.reason, /HTTP 400 mapper_parsing_exception.*attributes\.file/);
    const stored = await search(`${prefix}-logs-*`);
    assert.deepEqual(stored.map((h) => h._id).sort(), [logRecord(1).id, logRecord(3).id]);
  });

  it('deletes daily indices past retention_days in housekeeping when ISM is absent', async () => {
    const { sink, counters } = build({ retention_days: 3 });
    await sink.start(signal);
    const now = Date.now();
    const old = logRecord(1, { timestampMs: now - 10 * DAY_MS });
    const recent = logRecord(2, { timestampMs: now - 1 * DAY_MS });
    assert.deepEqual(await send(sink, [old, recent]), { kind: 'ok' });
    const oldIndex = `${prefix}-logs-${formatDay(old.timestampMs, '.')}`;
    const recentIndex = `${prefix}-logs-${formatDay(recent.timestampMs, '.')}`;
    assert.equal((await os('HEAD', `/${oldIndex}`)).status, 200);
    await sink.housekeeping(signal);
    assert.equal((await os('HEAD', `/${oldIndex}`)).status, 404);
    assert.equal((await os('HEAD', `/${recentIndex}`)).status, 200);
    assert.equal(counters.get('opensearch_retention_deleted_indices_total'), 1);
  });

  it('writes into a data stream with create and deduplicates a replay', async () => {
    const { sink } = build({ data_stream: true });
    await sink.start(signal);
    const batch = [logRecord(1, { timestampMs: Date.now() }), logRecord(2, { timestampMs: Date.now() })];
    assert.deepEqual(await send(sink, batch), { kind: 'ok' });
    assert.deepEqual(await send(sink, batch), { kind: 'ok' });
    const ds = await os('GET', `/_data_stream/${prefix}-logs`);
    assert.equal(ds.json.data_streams[0].name, `${prefix}-logs`);
    assert.equal((await search(`${prefix}-logs`)).length, 2);
  });

  it('answers retry with a clear reason when nothing listens at the URL', async () => {
    url = 'http://127.0.0.1:1';
    const { sink } = build();
    const result = await send(sink, [logRecord(1)]);
    assert.equal(result.kind, 'retry');
    assert.match('reason' in result ? result.reason : '', /127\.0\.0\.1:1 unreachable \(ECONNREFUSED/);
    await assert.rejects(sink.healthcheck(signal), /unreachable \(ECONNREFUSED/);
    url = (await ensureServices(['opensearch'])).opensearch;
  });

  it('delivers through the SinkRunner end to end: stored once, the conflicting record dead-lettered with its reason', async () => {
    const { sink } = build();
    await withDiskRunner('search', sink, 50, async (runner, dataDir) => {
      const records = Array.from({ length: 200 }, (_, i) => logRecord(i, i === 120 ? { attributes: { 'file.path': '/x' } } : {}));
      for (let i = 0; i < 200; i += 40) await runner.enqueue(records.slice(i, i + 40));
      const deadline = Date.now() + 60_000;
      while (runner.status().counters.sent + runner.status().counters.deadLettered < 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual([runner.status().counters.sent, runner.status().counters.deadLettered], [199, 1]);
      const stored = await search(`${prefix}-logs-*`);
      assert.equal(stored.length, 199);
      const dead = readFileSync(join(dataDir, 'dead-letter', 'search.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      assert.equal(dead.length, 1);
      assert.equal(dead[0].record.id, records[120]!.id);
      assert.match(dead[0].reason, /mapper_parsing_exception/);
    });
  });

  it('passes the healthcheck against the real server', async () => {
    const { sink } = build();
    await sink.healthcheck(signal);
  });

  // scripts/env serves OpenSearch at its root; a reverse proxy that publishes it under a path exists only as a
  // stand-in. It forwards what is under /opensearch/ (prefix stripped) and answers 404 to anything else, the way a
  // proxy does for paths it does not route, and records every path asked of it.
  describe('url with a path prefix, through a PathPrefixProxy stand-in', () => {
    let proxy: Server;
    let proxyUrl: string;
    let asked: string[];

    before(async () => {
      const upstream = new URL(url);
      proxy = createServer((req, res) => {
        const path = req.url ?? '';
        asked.push(`${req.method} ${path}`);
        if (!path.startsWith('/opensearch/')) {
          req.resume();
          res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>404 Not Found</h1>');
          return;
        }
        const forwarded = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: path.slice('/opensearch'.length), headers: { ...req.headers, host: upstream.host } }, (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        });
        forwarded.on('error', (err) => res.writeHead(502).end(String(err)));
        req.pipe(forwarded);
      });
      await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
      proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    });
    beforeEach(() => {
      asked = [];
    });
    after(() => {
      proxy.closeAllConnections();
      proxy.close();
    });

    it('sends every request under the prefix: templates, ISM detection, _bulk, retention and healthcheck work', async () => {
      const { sink, counters } = build({ url: `${proxyUrl}/opensearch`, retention_days: 3 });
      await sink.start(signal);
      assert.equal((await os('GET', `/_index_template/${prefix}-logs`)).status, 200);
      const now = Date.now();
      const old = logRecord(1, { timestampMs: now - 10 * DAY_MS });
      const recent = logRecord(2, { timestampMs: now - DAY_MS });
      assert.deepEqual(await send(sink, [old, recent]), { kind: 'ok' });
      assert.deepEqual((await search(`${prefix}-logs-*`)).map((h) => h._id).sort(), [old.id, recent.id]);
      await sink.housekeeping(signal);
      assert.equal((await os('HEAD', `/${prefix}-logs-${formatDay(old.timestampMs, '.')}`)).status, 404);
      assert.equal(counters.get('opensearch_retention_deleted_indices_total'), 1);
      await sink.healthcheck(signal);
      // A request that missed the prefix would get the proxy's 404, which hasIsm and retention partly tolerate.
      assert.deepEqual(asked.filter((a) => !a.split(' ')[1]!.startsWith('/opensearch/')), []);
      for (const path of ['/opensearch/_index_template/', '/opensearch/_plugins/_ism/policies', '/opensearch/_bulk', '/opensearch/_cat/indices/', `/opensearch/${prefix}-logs-`]) {
        assert.ok(asked.some((a) => a.split(' ')[1]!.startsWith(path)), `no request under ${path} in ${asked.join(', ')}`);
      }
    });

    it('treats a trailing slash the same (data stream: rollover and data stream reads included)', async () => {
      const { sink } = build({ url: `${proxyUrl}/opensearch/`, data_stream: true });
      await sink.start(signal);
      const batch = [logRecord(1, { timestampMs: Date.now() }), logRecord(2, { timestampMs: Date.now() })];
      assert.deepEqual(await send(sink, batch), { kind: 'ok' });
      await sink.housekeeping(signal);
      assert.equal((await search(`${prefix}-logs`)).length, 2);
      assert.deepEqual(asked.filter((a) => !a.split(' ')[1]!.startsWith('/opensearch/') || a.includes('//')), []);
      assert.ok(asked.includes(`POST /opensearch/${prefix}-logs/_rollover`), asked.join(', '));
      assert.ok(asked.includes(`GET /opensearch/_data_stream/${prefix}-logs`), asked.join(', '));
    });

    it('names the whole requested URL, prefix included, when the prefix is wrong', async () => {
      const { sink } = build({ url: `${proxyUrl}/elsewhere` });
      await assert.rejects(sink.start(signal), (err: Error) => {
        assert.equal(err.message, `installing index template ${prefix}-logs failed: HTTP 404 for ${proxyUrl}/elsewhere/_index_template/${prefix}-logs — check url: it does not look like an OpenSearch endpoint`);
        return true;
      });
      const result = await send(sink, [logRecord(1)]);
      assert.deepEqual(result, { kind: 'retry', reason: `HTTP 404 for ${proxyUrl}/elsewhere/_bulk — check url: it does not look like an OpenSearch endpoint` });
      await assert.rejects(sink.healthcheck(signal), new RegExp(`HTTP 404 for ${proxyUrl}/elsewhere/ — check url`));
    });
  });

  // The test server has no security plugin, so a 401 and a non-OpenSearch answer come from stand-ins.
  it('says "authentication failed (HTTP 401)" when a FaultInjectingReceiver refuses the credentials', async () => {
    const seen: string[] = [];
    const receiver = createServer((req, res) => {
      seen.push(req.headers.authorization ?? '');
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthorized","status":401}');
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    try {
      url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
      const { sink } = build({ auth: { username: 'agent', password: 'wrong' } });
      await assert.rejects(sink.healthcheck(signal), /authentication failed \(HTTP 401\) — check auth.username\/password/);
      const result = await send(sink, [logRecord(1)]);
      assert.equal(result.kind, 'retry');
      assert.match('reason' in result ? result.reason : '', /HTTP 401/);
      assert.equal(seen[0], 'Basic ' + Buffer.from('agent:wrong').toString('base64'));
    } finally {
      receiver.close();
      url = (await ensureServices(['opensearch'])).opensearch;
    }
  });

  it('retries and says "check url" when the URL is a web server that is not OpenSearch (WrongServiceStandIn)', async () => {
    const standIn = createServer((_req, res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not Found</h1>'));
    await new Promise<void>((r) => standIn.listen(0, '127.0.0.1', r));
    try {
      url = `http://127.0.0.1:${(standIn.address() as AddressInfo).port}`;
      const { sink } = build();
      const result = await send(sink, [logRecord(1)]);
      assert.equal(result.kind, 'retry');
      assert.match('reason' in result ? result.reason : '', /check url/);
      await assert.rejects(sink.healthcheck(signal), /check url/);
    } finally {
      standIn.close();
      url = (await ensureServices(['opensearch'])).opensearch;
    }
  });
});
