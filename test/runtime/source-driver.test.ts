import assert from 'node:assert/strict';
import pino from 'pino';
import { SourceDriver } from '../../src/runtime/source-driver';
import { SelfMetrics } from '../../src/self/metrics';
import { StatusBoard } from '../../src/self/status';
import type { TelemetryRecord } from '../../src/model';

const sample = (v: number): TelemetryRecord => ({ kind: 'sample', name: 'x', labels: {}, value: v, timestampMs: v });

function harness(source: ConstructorParameters<typeof SourceDriver>[0]['source'], intervalMs: number) {
  const metrics = new SelfMetrics();
  const board = new StatusBoard();
  const emitted: TelemetryRecord[] = [];
  const abort = new AbortController();
  const driver = new SourceDriver({
    name: 's', type: 't', source, intervalMs,
    emit: async (r) => void emitted.push(...r),
    logger: pino({ level: 'silent' }), metrics: metrics.forComponent('source', 's', 't'), status: board.register('source', 's', 't'), signal: abort.signal,
  });
  return { driver, emitted, abort, board, metrics };
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('SourceDriver', () => {
  it('collects a polled source at once and then on its interval, emitting what it returns', async () => {
    let n = 0;
    const h = harness({ collect: async () => [sample(++n)] }, 20);
    h.driver.start();
    await until(() => h.emitted.length >= 3);
    h.abort.abort();
    await h.driver.stop();
    assert.deepEqual(h.emitted.slice(0, 3).map((r) => (r as { value: number }).value), [1, 2, 3]);
  });

  it('skips a round (counted) while the previous one is still running instead of stacking them', async () => {
    let release!: () => void;
    let calls = 0;
    const h = harness({ collect: () => (calls++, new Promise<TelemetryRecord[]>((r) => (release = () => r([]))) ) }, 10);
    h.driver.start();
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(calls, 1);
    release();
    h.abort.abort();
    await h.driver.stop();
    assert.match(await h.metrics.registry.metrics(), /fta_source_rounds_skipped_total\{[^}]*\} [1-9]/);
  });

  it('reports a failing round in /status and keeps scheduling', async () => {
    let n = 0;
    const h = harness({ collect: async () => { if (++n === 1) throw new Error('JobManager unreachable'); return [sample(n)]; } }, 20);
    h.driver.start();
    await until(() => h.emitted.length >= 1);
    h.abort.abort();
    await h.driver.stop();
    assert.equal(h.board.snapshot()[0]!.lastError, 'JobManager unreachable');
    assert.match(await h.metrics.registry.metrics(), /fta_source_errors_total\{[^}]*\} 1/);
  });

  it('restarts a streaming source that fails, and stops it on abort', async () => {
    let runs = 0;
    const h = harness({ run: async () => { runs++; if (runs === 1) throw new Error('boom'); await new Promise((r) => setTimeout(r, 5)); } }, 1000);
    h.driver.start();
    await until(() => runs >= 2, 8000);
    h.abort.abort();
    await h.driver.stop();
    assert.equal(h.board.snapshot()[0]!.lastError, 'boom');
  });
});
