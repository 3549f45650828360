import assert from 'node:assert/strict';
import type { TelemetryRecord } from '../../src/model';
import { Router, type RouterTarget } from '../../src/pipeline/router';
import { idsOf, logRecords } from './helpers';

class Target implements RouterTarget {
  readonly got: TelemetryRecord[][] = [];
  private release: Array<() => void> = [];
  constructor(private readonly hold = false, private readonly fail = false) {}
  enqueue(records: TelemetryRecord[]): Promise<void> {
    this.got.push(records);
    if (this.fail) return Promise.reject(new Error('sink "b" is stopping'));
    return this.hold ? new Promise((r) => this.release.push(r)) : Promise.resolve();
  }
  releaseAll(): void {
    this.release.forEach((r) => r());
  }
}

const keepEven = { apply: (rs: TelemetryRecord[]) => rs.filter((r) => r.kind === 'log' && Number(r.id.slice(2)) % 2 === 0) };
const upper = { apply: (rs: TelemetryRecord[]) => rs.map((r) => (r.kind === 'log' ? { ...r, message: r.message.toUpperCase() } : r)) };

describe('Router', () => {
  it('applies transforms along every path and fans out to every sink reached', async () => {
    const raw = new Target();
    const even = new Target();
    const loud = new Target();
    const router = new Router({
      sources: ['logs', 'other'],
      transforms: { even: { inputs: ['logs'], transform: keepEven }, loud: { inputs: ['even'], transform: upper } },
      sinks: { raw: { inputs: ['logs', 'other'], runner: raw }, even: { inputs: ['even'], runner: even }, loud: { inputs: ['loud'], runner: loud } },
    });
    await router.emit('logs', logRecords(0, 4));
    assert.deepEqual(idsOf(raw.got[0]!), ['r-0', 'r-1', 'r-2', 'r-3']);
    assert.deepEqual(idsOf(even.got[0]!), ['r-0', 'r-2']);
    assert.deepEqual(loud.got[0]!.map((r) => (r.kind === 'log' ? r.message : '')), ['LINE 0', 'LINE 2']);
    assert.equal(raw.got[0]![0]!.kind === 'log' && raw.got[0]![0]!.message, 'line 0', 'siblings see the untransformed records');
    await router.emit('other', logRecords(9, 1));
    assert.equal(raw.got.length, 2);
    assert.equal(even.got.length, 1, 'other does not feed the even path');
    assert.deepEqual(router.sinksOf('logs').sort(), ['even', 'loud', 'raw']);
  });

  it('resolves only when every sink reached has taken its share', async () => {
    const fast = new Target();
    const slow = new Target(true);
    const router = new Router({ sources: ['s'], transforms: {}, sinks: { fast: { inputs: ['s'], runner: fast }, slow: { inputs: ['s'], runner: slow } } });
    let resolved = false;
    const p = router.emit('s', logRecords(0, 2)).then(() => (resolved = true));
    for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
    assert.equal(resolved, false);
    slow.releaseAll();
    await p;
    assert.equal(resolved, true);
  });

  it('paces a source by the fastest sink reached: waits until one is caught up, never for the slowest', async () => {
    const gate = (): { target: Target & { caughtUp(): Promise<void> }; open(): void } => {
      let open!: () => void;
      const ready = new Promise<void>((r) => (open = r));
      return { target: Object.assign(new Target(), { caughtUp: () => ready }), open };
    };
    const fast = gate();
    const dead = gate(); // never catches up
    const router = new Router({ sources: ['s'], transforms: {}, sinks: { fast: { inputs: ['s'], runner: fast.target }, dead: { inputs: ['s'], runner: dead.target } } });
    let resolved = false;
    const p = router.emit('s', logRecords(0, 2), { paced: true }).then(() => (resolved = true));
    for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
    assert.equal(resolved, false, 'taken durably by both, but neither reader is close: wait');
    fast.open();
    await p;
    assert.equal(fast.target.got.length, 1);
    assert.equal(dead.target.got.length, 1);
    // Polled sources never wait (a late round would be skipped): without `paced` the emit resolves once durable.
    const never = gate();
    const polled = new Router({ sources: ['s'], transforms: {}, sinks: { only: { inputs: ['s'], runner: never.target } } });
    const promptly = (p: Promise<void>) => Promise.race([p, new Promise((_, fail) => setTimeout(() => fail(new Error('a polled emit waited for pacing')), 1000).unref())]);
    await promptly(polled.emit('s', [{ kind: 'sample', name: 'm', labels: {}, value: 1, timestampMs: 1 }, ...logRecords(0, 1)]));
    await promptly(polled.emit('s', logRecords(0, 1)));
  });

  it('rejects when one sink refuses (the source must not commit)', async () => {
    const router = new Router({ sources: ['s'], transforms: {}, sinks: { a: { inputs: ['s'], runner: new Target() }, b: { inputs: ['s'], runner: new Target(false, true) } } });
    await assert.rejects(router.emit('s', logRecords(0, 1)), /stopping/);
  });

  it('resolves at once when no sink is reachable or a transform drops everything', async () => {
    const t = new Target(true);
    const router = new Router({ sources: ['lonely', 's'], transforms: { none: { inputs: ['s'], transform: { apply: () => [] } } }, sinks: { t: { inputs: ['none'], runner: t } } });
    await router.emit('lonely', logRecords(0, 3));
    await router.emit('s', logRecords(0, 3));
    assert.equal(t.got.length, 0);
  });

  it('refuses unknown inputs and cycles with AGT_TOPOLOGY_INVALID, and unknown sources at emit', async () => {
    assert.throws(() => new Router({ sources: ['s'], transforms: {}, sinks: { a: { inputs: ['nope'], runner: new Target() } } }), (e: Error & { code?: string }) => e.code === 'AGT_TOPOLOGY_INVALID' && /sinks\.a\.inputs names "nope"/.test(e.message));
    assert.throws(
      () => new Router({ sources: ['s'], transforms: { x: { inputs: ['s', 'y'], transform: upper }, y: { inputs: ['x'], transform: upper } }, sinks: {} }),
      /cycle: s → x → y → x/,
    );
    const router = new Router({ sources: ['s'], transforms: {}, sinks: {} });
    await assert.rejects(router.emit('ghost', logRecords(0, 1)), /unknown source "ghost"/);
  });
});
