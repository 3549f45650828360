import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import pino from 'pino';
import { SelfMetrics } from '../../src/self/metrics';
import { StatusBoard } from '../../src/self/status';
import { startSelfHttp, parseListen } from '../../src/self/http';

describe('self-observability: status board, /metrics, /healthz, /readyz, /status', () => {
  it('is not ready until every source collected, and names the one that has not', () => {
    const board = new StatusBoard();
    const a = board.register('source', 'a', 'host');
    const b = board.register('source', 'b', 'flink_rest');
    a.ok();
    assert.deepEqual(board.readiness(), { ready: false, reasons: ['source b: has not collected yet'] });
    b.ok();
    assert.deepEqual(board.readiness(), { ready: true, reasons: [] });
    b.error('JobManager at http://x:8081 unreachable (ECONNREFUSED), retrying in 15s');
    assert.deepEqual(board.readiness().reasons, ['source b: JobManager at http://x:8081 unreachable (ECONNREFUSED), retrying in 15s']);
  });

  it("takes a sink's state from its runner: retrying stays ready, failing is not", () => {
    const board = new StatusBoard();
    board.register('sink', 's', 'opensearch');
    let state: 'retrying' | 'failing' = 'retrying';
    board.addDetails('sink', 's', () => ({ state, queuedEvents: 3 }));
    assert.equal(board.snapshot()[0]!.state, 'retrying');
    assert.equal(board.readiness().ready, true);
    state = 'failing';
    assert.equal(board.readiness().ready, false);
    assert.deepEqual(board.snapshot()[0]!.details, { state: 'failing', queuedEvents: 3 });
  });

  it('shares one prom-client metric per name across components, told apart by labels', async () => {
    const m = new SelfMetrics();
    m.forComponent('source', 'a', 'host').counter('parse_errors_total', 'Lines that did not parse.').inc(2);
    m.forComponent('source', 'b', 'flink_logs').counter('parse_errors_total', 'Lines that did not parse.').inc();
    const text = await m.registry.metrics();
    assert.match(text, /fta_parse_errors_total\{component_kind="source",component_name="a",component_type="host"\} 2/);
    assert.match(text, /fta_parse_errors_total\{component_kind="source",component_name="b",component_type="flink_logs"\} 1/);
    assert.match(text, /fta_process_resident_memory_bytes/);
  });

  describe('HTTP endpoints', () => {
    let server: Server;
    let base: string;
    const board = new StatusBoard();
    before(async () => {
      const metrics = new SelfMetrics();
      metrics.forComponent('sink', 'out', 'file').counter('things_total', 'Things.').inc(5);
      board.register('source', 'host', 'host');
      server = await startSelfHttp({ listen: '127.0.0.1:0', metrics, status: board, logger: pino({ level: 'silent' }), info: { version: 'test' } });
      const addr = server.address();
      assert.ok(addr && typeof addr === 'object');
      base = `http://127.0.0.1:${addr.port}`;
    });
    after(() => server.close());

    it('serves /metrics in the Prometheus text format', async () => {
      const res = await fetch(`${base}/metrics`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
      assert.match(await res.text(), /fta_things_total\{component_kind="sink",component_name="out",component_type="file"\} 5/);
    });

    it('answers /healthz 200 always and /readyz 503 with the reason until sources collect', async () => {
      assert.equal((await fetch(`${base}/healthz`)).status, 200);
      const res = await fetch(`${base}/readyz`);
      assert.equal(res.status, 503);
      assert.deepEqual(await res.json(), { ready: false, reasons: ['source host: has not collected yet'] });
    });

    it('shows each component in /status and points at the endpoints on a 404', async () => {
      const status = (await (await fetch(`${base}/status`)).json()) as { version: string; components: Array<{ name: string; state: string }> };
      assert.equal(status.version, 'test');
      assert.deepEqual(status.components.map((c) => [c.name, c.state]), [['host', 'starting']]);
      const missing = await fetch(`${base}/nope`);
      assert.equal(missing.status, 404);
      assert.match(await missing.text(), /try \/metrics, \/healthz, \/readyz or \/status/);
    });
  });

  it('parses listen addresses and rejects a bad one with the field name', () => {
    assert.deepEqual(parseListen('127.0.0.1:9464'), { host: '127.0.0.1', port: 9464 });
    assert.deepEqual(parseListen('[::1]:9464'), { host: '::1', port: 9464 });
    assert.throws(() => parseListen('localhost:http'), /agent\.http\.listen: "localhost:http" is not host:port/);
  });

  it('names the field and the fix when the port is taken', async () => {
    const metrics = new SelfMetrics();
    const board = new StatusBoard();
    const logger = pino({ level: 'silent' });
    const first = await startSelfHttp({ listen: '127.0.0.1:0', metrics, status: board, logger, info: {} });
    const port = (first.address() as { port: number }).port;
    await assert.rejects(
      startSelfHttp({ listen: `127.0.0.1:${port}`, metrics, status: board, logger, info: {} }),
      /agent\.http\.listen: cannot listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\); pick another port or set agent\.http\.enabled: false/,
    );
    first.close();
  });
});
