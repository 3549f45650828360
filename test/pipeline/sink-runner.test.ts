import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import type { TelemetryRecord } from '../../src/model';
import type { SendResult } from '../../src/model/send-result';
import { PipelineMetrics } from '../../src/pipeline/metrics';
import type { SinkCommonConfig } from '../../src/pipeline/sink-options';
import { SinkRunner } from '../../src/pipeline/sink-runner';
import { systemClock, type Clock } from '../../src/pipeline/clock';
import { Router } from '../../src/pipeline/router';
import { captureLogger, FakeClock, FrozenClock, idsOf, logRecord, logRecords, ScriptedSink, tempDir, waitFor } from './helpers';

type Cfg = Pick<SinkCommonConfig, 'batch' | 'buffer' | 'retry' | 'request' | 'dead_letter'>;
function config(over: { batch?: Partial<Cfg['batch']>; buffer?: Partial<Cfg['buffer']>; retry?: Partial<Cfg['retry']>; request?: Partial<Cfg['request']> } = {}): Cfg {
  return {
    batch: { max_events: 100, max_bytes: 1 << 20, timeout: 10, ...over.batch },
    buffer: { type: 'disk', max_size: 64 << 20, when_full: 'block', ...over.buffer },
    retry: { initial_backoff: 100, max_backoff: 10_000, max_elapsed: 0, ...over.retry },
    request: { concurrency: 2, timeout: 30_000, ...over.request },
    dead_letter: { max_bytes: 100 << 20 },
  };
}

function runner(sink: ScriptedSink, cfg: Cfg, opts: { dataDir?: string; clock?: Clock; registry?: Registry } = {}) {
  const dataDir = opts.dataDir ?? tempDir();
  const registry = opts.registry ?? new Registry();
  const { logger, lines } = captureLogger();
  const clock = opts.clock ?? new FakeClock();
  const r = new SinkRunner({ name: 'out', sink, config: cfg, dataDir, logger, metrics: PipelineMetrics.for(registry), clock });
  return { r, dataDir, registry, lines, clock };
}

const deadLetters = (dataDir: string) =>
  existsSync(join(dataDir, 'dead-letter', 'out.ndjson'))
    ? readFileSync(join(dataDir, 'dead-letter', 'out.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { reason: string; sink: string; at: string; record: TelemetryRecord })
    : [];
const sorted = (xs: string[]) => [...xs].sort();
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => `r-${from + i}`);

describe('SinkRunner', () => {
  it('loses nothing when the sink fails for a while and then recovers (disk buffer, 2 in flight)', async () => {
    const sink = new ScriptedSink((_, call) => (call <= 6 ? { kind: 'retry', reason: 'HTTP 503' } : { kind: 'ok' }));
    const { r, lines, registry } = runner(sink, config());
    for (let i = 0; i < 10; i++) await r.enqueue(logRecords(i * 100, 100));
    await waitFor(() => r.status().counters.sent === 1000, 'all records sent');
    assert.deepEqual(sorted(idsOf(sink.delivered)), sorted(range(0, 1000)));
    const s = r.status();
    assert.equal(s.state, 'ok');
    assert.ok(s.counters.failed >= 6 && s.counters.retried >= 6);
    await waitFor(() => r.status().queuedEvents === 0, 'queue drained');
    const retryLine = lines.find((l) => l.reason === 'HTTP 503')!;
    assert.equal(typeof retryLine.delayMs, 'number');
    assert.equal(typeof retryLine.attempt, 'number');
    assert.match(String(retryLine.msg), /retry \d+ in \d+ ms/);
    const text = await registry.metrics();
    assert.match(text, /fta_sink_sent_events_total\{sink="out"\} 1000/);
    assert.match(text, /fta_sink_received_events_total\{sink="out"\} 1000/);
    assert.match(text, /fta_buffer_queued_events\{sink="out"\} 0/);
    await r.stop(1000);
  });

  it('fills the dead-letter file and the counters when the sink rejects everything', async () => {
    const sink = new ScriptedSink(() => ({ kind: 'reject', reason: 'HTTP 400: mapper_parsing_exception' }));
    const { r, dataDir, registry } = runner(sink, config({ buffer: { type: 'memory' } }));
    await r.enqueue(logRecords(0, 250)); // memory buffer: resolves only once each record is handled
    const dl = deadLetters(dataDir);
    assert.deepEqual(sorted(dl.map((d) => (d.record as { id: string }).id)), sorted(range(0, 250)));
    assert.equal(dl[0]!.sink, 'out');
    assert.equal(dl[0]!.reason, 'HTTP 400: mapper_parsing_exception');
    assert.ok(!Number.isNaN(Date.parse(dl[0]!.at)));
    assert.equal(r.status().counters.deadLettered, 250);
    assert.equal(r.status().counters.sent, 0);
    assert.match(r.status().lastError!, /mapper_parsing_exception/);
    assert.match(await registry.metrics(), /fta_sink_dead_lettered_events_total\{sink="out"\} 250/);
    await r.stop(1000);
  });

  it('gives up after retry.max_elapsed and dead-letters, naming the last reason', async () => {
    const sink = new ScriptedSink(() => ({ kind: 'retry', reason: 'connect ECONNREFUSED' }));
    const { r, dataDir } = runner(sink, config({ buffer: { type: 'memory' }, retry: { max_elapsed: 5_000 } }));
    await r.enqueue(logRecords(0, 5));
    const dl = deadLetters(dataDir);
    assert.equal(dl.length, 5);
    assert.match(dl[0]!.reason, /gave up after \d+ attempts .*ECONNREFUSED/);
    assert.ok(sink.calls.length > 2);
    await r.stop(1000);
  });

  it('waits at least Retry-After (afterMs) when it is longer than the jittered backoff', async () => {
    const clock = new FakeClock(0.99);
    const sink = new ScriptedSink((_, call) => (call === 1 ? { kind: 'retry', reason: 'HTTP 429', afterMs: 7_000 } : { kind: 'ok' }));
    const { r } = runner(sink, config({ buffer: { type: 'memory' }, batch: { timeout: 0 } }), { clock });
    await r.enqueue(logRecords(0, 3));
    const backoffs = clock.sleeps.filter((ms) => ms > 0);
    assert.equal(backoffs.length, 1);
    assert.ok(backoffs[0]! >= 7_000, `waited ${backoffs[0]} ms`);
    assert.ok(99 < 7_000, 'the jittered backoff alone (0.99 × 100 ms) would have been shorter');
    await r.stop(1000);
  });

  it('backs off exponentially with full jitter, capped at max_backoff', async () => {
    const clock = new FakeClock(0.5);
    const sink = new ScriptedSink((_, call) => (call <= 9 ? { kind: 'retry', reason: 'HTTP 502' } : { kind: 'ok' }));
    const { r } = runner(sink, config({ buffer: { type: 'memory' }, batch: { timeout: 0 }, retry: { initial_backoff: 100, max_backoff: 5_000 } }), { clock });
    await r.enqueue(logRecords(0, 1));
    assert.deepEqual(clock.sleeps.filter((ms) => ms > 0), [50, 100, 200, 400, 800, 1600, 2500, 2500, 2500]);
    assert.deepEqual(sink.attempts, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    await r.stop(1000);
  });

  it('splits a too-large batch in halves, and dead-letters a single record that is still too large', async () => {
    const huge = logRecord(7, 'x'.repeat(5000));
    const sink = new ScriptedSink((records) =>
      records.length > 4 || records.some((x) => x.kind === 'log' && x.message.length > 1000) ? { kind: 'too_large', reason: 'HTTP 413' } : { kind: 'ok' },
    );
    const { r, dataDir } = runner(sink, config({ buffer: { type: 'memory' }, batch: { max_events: 16 } }));
    const input = logRecords(0, 16);
    input[7] = huge;
    await r.enqueue(input);
    assert.deepEqual(sorted(idsOf(sink.delivered)), sorted(range(0, 16).filter((id) => id !== 'r-7')));
    const dl = deadLetters(dataDir);
    assert.equal(dl.length, 1);
    assert.equal((dl[0]!.record as { id: string }).id, 'r-7');
    assert.match(dl[0]!.reason, /HTTP 413 \(a single record is too large/);
    assert.ok(sink.calls.every((c) => c.length <= 16));
    await r.stop(1000);
  });

  it('on a partial answer retries only the listed items, dead-letters the rejects, acks the rest', async () => {
    const sink = new ScriptedSink((_, call): SendResult =>
      call === 1 ? { kind: 'partial', retry: [1, 3], reject: [{ index: 2, reason: 'mapper_parsing_exception' }], retryAfterMs: 2_000 } : { kind: 'ok' },
    );
    const clock = new FakeClock();
    const { r, dataDir } = runner(sink, config({ buffer: { type: 'memory' }, batch: { max_events: 5 } }), { clock });
    await r.enqueue(logRecords(0, 5));
    assert.deepEqual(idsOf(sink.calls[1]!), ['r-1', 'r-3']);
    assert.equal(sink.calls.length, 2);
    assert.deepEqual(sorted(idsOf(sink.delivered)), ['r-0', 'r-1', 'r-3', 'r-4']);
    const dl = deadLetters(dataDir);
    assert.deepEqual(dl.map((d) => [(d.record as { id: string }).id, d.reason]), [['r-2', 'mapper_parsing_exception']]);
    assert.ok(clock.sleeps.filter((ms) => ms > 0)[0]! >= 2_000, 'partial retryAfterMs honoured');
    const s = r.status();
    assert.equal(s.counters.sent, 4);
    assert.equal(s.counters.deadLettered, 1);
    assert.equal(s.counters.retried, 2);
    await r.stop(1000);
  });

  it('turns a throwing sink and a timed-out request into retries, never into lost records', async () => {
    let call = 0;
    const sink = new ScriptedSink();
    sink.send = async (records, { signal }) => {
      call++;
      if (call === 1) throw new Error('socket hang up');
      if (call === 2) return new Promise(() => void signal); // never answers: the request timeout must fire
      sink.delivered.push(...records);
      return { kind: 'ok' };
    };
    const { r, lines } = runner(sink, config({ buffer: { type: 'memory' }, request: { timeout: 50 } }));
    await r.enqueue(logRecords(0, 3));
    assert.deepEqual(idsOf(sink.delivered), range(0, 3));
    assert.ok(lines.some((l) => /socket hang up/.test(String(l.reason))));
    assert.ok(lines.some((l) => /timed out after 50 ms/.test(String(l.reason))));
    await r.stop(1000);
  });

  it('calls sink.start() before the first send, retrying it with backoff', async () => {
    const sink = new ScriptedSink(() => ({ kind: 'ok' }), 2);
    const { r, lines } = runner(sink, config({ buffer: { type: 'memory' } }));
    assert.equal(r.status().state, 'starting');
    await r.enqueue(logRecords(0, 2));
    assert.equal(sink.startCalls, 3);
    assert.equal(sink.delivered.length, 2);
    assert.equal(r.status().state, 'ok');
    assert.ok(lines.some((l) => /template install failed \(2\)/.test(String(l.reason))));
    await r.stop(1000);
  });

  it('queues only what sink.accepts(), counting received after the filter', async () => {
    const sink = new ScriptedSink(() => ({ kind: 'ok' }), 0, (rec) => rec.kind === 'log');
    const { r } = runner(sink, config({ buffer: { type: 'memory' } }));
    const sample: TelemetryRecord = { kind: 'sample', name: 'm', labels: {}, value: 1, timestampMs: 1 };
    await r.enqueue([sample, ...logRecords(0, 3), sample]);
    assert.deepEqual(idsOf(sink.delivered), range(0, 3));
    assert.equal(r.status().counters.received, 3);
    await r.stop(1000);
  });

  it('memory buffer: enqueue resolves only after delivery; stop() rejects producers whose records were not delivered', async () => {
    let fail = true;
    const sink = new ScriptedSink(() => (fail ? { kind: 'retry', reason: 'HTTP 503' } : { kind: 'ok' }));
    const { r } = runner(sink, config({ buffer: { type: 'memory' }, batch: { timeout: 0 } }), { clock: new FrozenClock() });
    let settled: string | undefined;
    const p = r.enqueue(logRecords(0, 3)).then(() => (settled = 'resolved'), (e: Error) => (settled = e.name));
    await waitFor(() => sink.calls.length === 1, 'first attempt');
    for (let i = 0; i < 10; i++) await new Promise((res) => setImmediate(res));
    assert.equal(settled, undefined, 'not delivered yet, so not acknowledged');
    fail = false;
    await r.stop(200);
    await p;
    assert.equal(settled, 'StoppingError');
    await assert.rejects(r.enqueue(logRecords(9, 1)), /stopping/);
  });

  it('stop() interrupts the backoff; the batch stays on disk and a new runner delivers it', async () => {
    const failing = new ScriptedSink(() => ({ kind: 'retry', reason: 'HTTP 503' }));
    const a = runner(failing, config({ batch: { timeout: 0 } }), { clock: new FrozenClock() });
    await a.r.enqueue(logRecords(0, 50));
    await waitFor(() => failing.calls.length >= 1, 'a first attempt');
    await a.r.stop(5_000); // would hang forever if the frozen backoff were not interrupted
    assert.equal(failing.delivered.length, 0);
    const healthy = new ScriptedSink();
    const b = runner(healthy, config(), { dataDir: a.dataDir });
    await b.r.start();
    await waitFor(() => healthy.delivered.length === 50, 'replayed records delivered');
    assert.deepEqual(sorted(idsOf(healthy.delivered)), sorted(range(0, 50)));
    await b.r.stop(1000);
  });

  it('reports failing after repeated failures and ok after recovery', async () => {
    let fail = true;
    const sink = new ScriptedSink(() => (fail ? { kind: 'retry', reason: 'HTTP 503' } : { kind: 'ok' }));
    const { r } = runner(sink, config());
    await r.enqueue(logRecords(0, 1));
    await waitFor(() => r.status().state === 'failing', 'failing state');
    assert.equal(r.status().lastError, 'HTTP 503');
    fail = false;
    await waitFor(() => r.status().state === 'ok' && r.status().counters.sent === 1, 'recovered');
    assert.ok(r.status().lastSuccessAt! > 0);
    await r.stop(1000);
  });

  it('paces a Router emit to the sink it feeds: unread records stay near two batches, never the whole backlog', async () => {
    let maxUnread = 0;
    let r!: SinkRunner;
    const sink = new ScriptedSink(() => {
      maxUnread = Math.max(maxUnread, r.status().queuedEvents);
      return { kind: 'ok' };
    });
    ({ r } = runner(sink, config({ batch: { max_events: 100, timeout: 10_000 } }), { clock: systemClock }));
    const router = new Router({ sources: ['s'], transforms: {}, sinks: { out: { inputs: ['s'], runner: r } } });
    for (let i = 0; i < 50; i++) await router.emit('s', logRecords(i * 100, 100), { paced: true });
    await waitFor(() => r.status().counters.sent === 5000, 'all records sent');
    assert.deepEqual(idsOf(sink.delivered), range(0, 5000));
    // 2 × max_events unread + the emit that follows + 2 batches in flight; without pacing: the whole 5000.
    assert.ok(maxUnread <= 600, `at most ~600 records queued at a send, saw ${maxUnread}`);
    await r.stop(1000);
  });

  it('does not pace a source by a sink that stopped taking records (down, backing off)', async () => {
    const sink = new ScriptedSink(() => ({ kind: 'retry', reason: 'HTTP 503' }));
    const { r } = runner(sink, config({ batch: { max_events: 100 } }), { clock: new FrozenClock() });
    const router = new Router({ sources: ['s'], transforms: {}, sinks: { out: { inputs: ['s'], runner: r } } });
    const t0 = Date.now();
    for (let i = 0; i < 50; i++) await router.emit('s', logRecords(i * 100, 100), { paced: true });
    assert.ok(Date.now() - t0 < 5000, `the backlog went to disk instead of waiting (${Date.now() - t0} ms)`);
    assert.equal(r.status().queuedEvents, 5000);
    await r.stop(100);
  });
  it('keeps request.concurrency sends open, plus the readyAhead batches a sink asks for', async () => {
    /** A sink whose every send stays open 20 ms, noting the most it had open at once. */
    class SlowSink extends ScriptedSink {
      open = 0;
      maxOpen = 0;
      constructor(readonly readyAhead: number | undefined) {
        super();
      }
      override async send(...args: Parameters<ScriptedSink['send']>): Promise<SendResult> {
        this.maxOpen = Math.max(this.maxOpen, ++this.open);
        await new Promise((resolve) => setTimeout(resolve, 20));
        this.open--;
        return super.send(...args);
      }
    }
    for (const [readyAhead, expected] of [[undefined, 2], [1, 3]] as const) {
      const sink = new SlowSink(readyAhead);
      const { r } = runner(sink, config({ batch: { max_events: 10 } }), { clock: systemClock });
      await r.enqueue(logRecords(0, 200));
      await waitFor(() => r.status().counters.sent === 200, 'all records sent');
      assert.equal(sink.maxOpen, expected, `readyAhead ${readyAhead}: sends open at once`);
      assert.deepEqual(sorted(idsOf(sink.delivered)), sorted(range(0, 200)));
      await r.stop(1000);
    }
  });
});
