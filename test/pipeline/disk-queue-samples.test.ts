// Compact sample frames (sample-frame.ts) through the DiskQueue: a series defined once per segment, samples as
// (ref, value, timestamp), read back exactly from disk however the reader got there.
import assert from 'node:assert/strict';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Labels, Sample, TelemetryRecord } from '../../src/model';
import { DiskQueue, type DiskQueueOptions } from '../../src/pipeline/disk-queue';
import { captureLogger, logRecord, tempDir } from './helpers';

function open(dir: string, extra: Partial<DiskQueueOptions> = {}) {
  const c = { corrupt: 0, dropped: 0 };
  const { logger } = captureLogger();
  const q = DiskQueue.open({
    dir,
    sink: 's',
    maxBytes: 1 << 30,
    whenFull: 'block',
    logger,
    counters: { received: () => undefined, dropped: (e: number) => void (c.dropped += e), corrupt: (n: number) => void (c.corrupt += n) },
    ...extra,
  });
  return { q, c };
}

/** `n` frozen series, as flink_prometheus describes them: one labels object per series, shared by every scrape. */
function seriesSet(n: number): Array<{ name: string; labels: Labels }> {
  return Array.from({ length: n }, (_, i) => ({
    name: `flink_taskmanager_job_task_operator_numRecordsIn_${i % 3}`,
    labels: Object.freeze({ job_name: 'CarTopSpeedWindowingExample', task_name: `Window(GlobalWindows)_${i}`, subtask_index: String(i % 4), tm_id: 'tm-1' }),
  }));
}

function scrape(series: Array<{ name: string; labels: Labels }>, round: number): Sample[] {
  return series.map((s, i) => ({ kind: 'sample', name: s.name, labels: s.labels, value: round * 1000 + i + 0.25, timestampMs: 1_795_000_000_000 + round * 1000, metricType: 'counter' }));
}

function readAll(q: DiskQueue, max = 500): TelemetryRecord[] {
  const out: TelemetryRecord[] = [];
  for (let b = q.read(max, 1 << 30); b; b = q.read(max, 1 << 30)) {
    out.push(...b.records);
    q.ack(b.id);
  }
  return out;
}

const segBytes = (dir: string): number => readdirSync(dir).filter((f) => f.endsWith('.seg')).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);

describe('DiskQueue compact samples', () => {
  it('writes a series once per segment and reads every sample back exactly after a restart', async () => {
    const dir = tempDir();
    const series = seriesSet(50);
    const a = open(dir);
    const pushed: Sample[] = [];
    for (let round = 0; round < 20; round++) {
      const s = scrape(series, round);
      pushed.push(...s);
      await a.q.push(s);
    }
    // 1,000 samples; as JSON each would take ~250 bytes. Definitions (50) carry the labels, references 30 bytes.
    assert.ok(segBytes(dir) < 50 * 250 + 950 * 30 + 1000, `compact on disk: ${segBytes(dir)} bytes`);
    const got = readAll(open(dir).q); // a new queue over the same files: nothing in memory, all decoded
    assert.deepEqual(got, pushed);
    const first = got[0] as Sample;
    const again = got[50] as Sample;
    assert.equal(again.labels, first.labels, 'one decoded labels object per series');
    assert.ok(Object.isFrozen(first.labels), 'decoded labels are frozen like the source made them');
  });

  it('keeps NaN, ±Inf, staleness markers and the metric type (JSON would turn them into null)', async () => {
    const dir = tempDir();
    const [s] = seriesSet(1);
    const odd: Sample[] = [
      { kind: 'sample', name: s!.name, labels: s!.labels, value: Number.NaN, timestampMs: 1 },
      { kind: 'sample', name: s!.name, labels: s!.labels, value: Number.POSITIVE_INFINITY, timestampMs: 2, metricType: 'gauge' },
      { kind: 'sample', name: s!.name, labels: s!.labels, value: Number.NEGATIVE_INFINITY, timestampMs: 3, metricType: 'untyped' },
      { kind: 'sample', name: s!.name, labels: s!.labels, value: Number.NaN, timestampMs: 4, stale: true },
      { kind: 'sample', name: s!.name, labels: s!.labels, value: Number.NaN, timestampMs: 5, metricType: 'histogram', stale: true },
      { kind: 'sample', name: s!.name, labels: s!.labels, value: -0.000123e-7, timestampMs: 1_795_000_000_123.5, metricType: 'summary' },
    ];
    await open(dir).q.push(odd);
    assert.deepEqual(readAll(open(dir).q), odd);
  });

  it('resolves series whose definition the reader never read: restart past it, or taken from the hot tail', async () => {
    const dir = tempDir();
    const series = seriesSet(10);
    const a = open(dir);
    const round0 = scrape(series, 0);
    await a.q.push(round0); // the definitions
    const firstBatch = a.q.read(10, 1 << 30)!;
    assert.equal(firstBatch.records[0], round0[0], 'taken from the hot tail, the definitions never read from disk');
    a.q.ack(firstBatch.id); // delivered: the persisted position is now past every definition
    // Far more than the hot tail holds: the reader must decode these from disk, by refs defined in frames it skipped.
    const later: Sample[] = [];
    for (let round = 1; round <= 2000; round++) later.push(...scrape(series, round));
    await a.q.push(later);
    const inProcess = readAll(a.q);
    assert.deepEqual(inProcess, later);
    assert.notEqual(inProcess[0], later[0], 'decoded from disk, not the pushed object');
    // The same bytes after a crash (no close), from a persisted position past the definitions.
    const b = open(dir);
    await b.q.push(scrape(series, 5000));
    const c = open(dir);
    assert.deepEqual(readAll(c.q), scrape(series, 5000));
    assert.equal(c.c.corrupt, 0);
  });

  it('defines series again in each segment, also when one push spans segments or waits for space', async () => {
    const dir = tempDir();
    const series = seriesSet(40);
    const small = open(dir, { segmentBytes: 4096, maxBytes: 40 * 30 * 6 });
    const pushed: Sample[] = [];
    const pushes: Array<Promise<void>> = [];
    for (let round = 0; round < 12; round++) {
      const s = scrape(series, round);
      pushed.push(...s);
      pushes.push(small.q.push(s)); // later pushes wait for space while earlier ones are read
    }
    const got: TelemetryRecord[] = [];
    while (got.length < pushed.length) {
      const b = small.q.read(100, 1 << 30);
      if (!b) {
        await new Promise((r) => setImmediate(r));
        continue;
      }
      got.push(...b.records);
      small.q.ack(b.id);
    }
    await Promise.all(pushes);
    // Pushes that waited for space may interleave; each sample arrives once, intact.
    const byValue = (rs: TelemetryRecord[]) => [...rs].sort((x, y) => (x as Sample).value - (y as Sample).value);
    assert.deepEqual(byValue(got), byValue(pushed));
    // And from disk alone: every segment resolves its own refs.
    const dir2 = tempDir();
    const w = open(dir2, { segmentBytes: 4096 });
    for (let round = 0; round < 12; round++) await w.q.push(scrape(series, round));
    assert.ok(readdirSync(dir2).filter((f) => f.endsWith('.seg')).length > 3, 'several segments written');
    const r = open(dir2);
    assert.deepEqual(readAll(r.q), pushed);
    assert.equal(r.c.corrupt, 0);
  });

  it('forgets the series of frames a blocked push did not write, so another push cannot refer to them', async () => {
    // Equal-sized definitions, so the bound below leaves room for a reference frame but not a definition.
    const mk = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => ({ name: 'm', labels: Object.freeze({ id: `${prefix}${String(i).padStart(4, '0')}` }) }));
    const a = mk('a', 10);
    const b = mk('b', 30);
    const sizeOf = async (records: Sample[]) => {
      const probe = open(tempDir()).q;
      await probe.push(records);
      return probe.queuedBytes;
    };
    const bytesA = await sizeOf(scrape(a, 0));
    const defB = (await sizeOf(scrape(b, 0))) / b.length;
    const dir = tempDir();
    const { q } = open(dir, { maxBytes: bytesA + Math.floor(10.5 * defB) });
    await q.push(scrape(a, 0));
    const pushB = q.push(scrape(b, 1)); // 10 definitions fit; 20 wait for space
    const lone = [scrape(b, 2)[25]!]; // a series among the 20 not written
    const pushLone = q.push(lone); // must be a definition (does not fit either), never a reference to nothing
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
    assert.equal(q.queuedEvents, 20, 'a and the first 10 of b; the lone sample waits');
    let done = false;
    const both = Promise.all([pushB, pushLone]).then(() => (done = true));
    while (!done) {
      const batch = q.read(100, 1 << 30); // acks free space: both pushes go on
      if (batch) q.ack(batch.id);
      await new Promise((r) => setImmediate(r));
    }
    await both;
    // Everything is in the one segment: without a persisted position, a reopen decodes all of it from disk.
    rmSync(join(dir, 'cursor.json'));
    const reopened = open(dir);
    const got = readAll(reopened.q);
    assert.equal(reopened.c.corrupt, 0);
    const byValue = (rs: TelemetryRecord[]) => [...rs].sort((x, y) => (x as Sample).value - (y as Sample).value);
    assert.deepEqual(byValue(got), byValue([...scrape(a, 0), ...scrape(b, 1), ...lone]));
  });

  it('writes samples with unfrozen labels, and logs, as JSON beside compact samples', async () => {
    const dir = tempDir();
    const [s] = seriesSet(1);
    const mixed: TelemetryRecord[] = [
      { kind: 'sample', name: 'host_cpu', labels: { node: 'n1' }, value: 0.5, timestampMs: 10 },
      { kind: 'sample', name: s!.name, labels: s!.labels, value: 1, timestampMs: 11 },
      logRecord(1),
      { kind: 'sample', name: s!.name, labels: s!.labels, value: 2, timestampMs: 12 },
    ];
    await open(dir).q.push(mixed);
    // JSON-decoded records carry their JSON text under a symbol (record-json.ts): compare as plain data.
    assert.deepEqual(JSON.parse(JSON.stringify(readAll(open(dir).q))), mixed);
  });
});
