import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StoppingError } from '../../src/pipeline/buffer';
import { DiskQueue, type DiskQueueOptions } from '../../src/pipeline/disk-queue';
import { captureLogger, idsOf, logRecord, logRecords, tempDir } from './helpers';

function counters() {
  const c = { received: 0, dropped: 0, droppedBytes: 0, corrupt: 0 };
  return {
    c,
    counters: {
      received: (e: number) => void (c.received += e),
      dropped: (e: number, b: number) => void ((c.dropped += e), (c.droppedBytes += b)),
      corrupt: (n: number) => void (c.corrupt += n),
    },
  };
}

function open(dir: string, extra: Partial<DiskQueueOptions> = {}) {
  const { c, counters: cs } = counters();
  const { logger, lines } = captureLogger();
  const q = DiskQueue.open({ dir, sink: 's', maxBytes: 1 << 30, whenFull: 'block', logger, counters: cs, ...extra });
  return { q, c, lines };
}

function readAll(q: DiskQueue, max = 1000): { ids: string[]; batches: number[] } {
  const ids: string[] = [];
  const batches: number[] = [];
  for (let b = q.read(max, 1 << 30); b; b = q.read(max, 1 << 30)) {
    ids.push(...idsOf(b.records));
    batches.push(b.id);
  }
  return { ids, batches };
}

const segs = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.seg')).sort();
const range = (from: number, n: number): string[] => Array.from({ length: n }, (_, i) => `r-${from + i}`);

describe('DiskQueue', () => {
  it('replays from the persisted position: acked records are gone, read-but-unacked ones come back', async () => {
    const dir = tempDir();
    const a = open(dir);
    await a.q.push(logRecords(0, 100));
    const first = a.q.read(30, 1 << 30)!;
    const second = a.q.read(30, 1 << 30)!;
    assert.deepEqual(idsOf(first.records), range(0, 30));
    a.q.ack(first.id);
    assert.equal(second.records.length, 30); // read, never acked: a crash now must replay it
    // No close(): this is what a kill -9 leaves behind.
    const b = open(dir);
    assert.equal(b.q.queuedEvents, 70);
    assert.deepEqual(readAll(b.q).ids, range(30, 70));
  });

  it('moves the persisted position only over a prefix of acknowledged batches (out-of-order acks)', async () => {
    const dir = tempDir();
    const a = open(dir);
    await a.q.push(logRecords(0, 30));
    const [b1, b2, b3] = [a.q.read(10, 1 << 30)!, a.q.read(10, 1 << 30)!, a.q.read(10, 1 << 30)!];
    a.q.ack(b2.id);
    a.q.ack(b3.id);
    assert.equal(a.q.queuedEvents, 10);
    void b1; // "crash" (no close) with batch 1 still in flight
    const b = open(dir);
    const again = [b.q.read(10, 1 << 30)!, b.q.read(10, 1 << 30)!, b.q.read(10, 1 << 30)!];
    assert.deepEqual(again.flatMap((x) => idsOf(x.records)), range(0, 30), 'batch 1 unacked: everything replays');
    b.q.ack(again[2]!.id);
    b.q.ack(again[0]!.id);
    assert.deepEqual(readAll(open(dir).q).ids, range(10, 20), 'batch 2 unacked: the position stops after batch 1, so 2 and 3 replay');
    const c = open(dir);
    c.q.ack(c.q.read(100, 1 << 30)!.id);
    assert.equal(open(dir).q.queuedEvents, 0, 'all acked: nothing replays');
  });

  it('spreads records over segments and unlinks a segment once fully acknowledged', async () => {
    const dir = tempDir();
    const { q } = open(dir, { segmentBytes: 2048 });
    for (let i = 0; i < 20; i++) await q.push(logRecords(i * 10, 10));
    assert.ok(segs(dir).length > 5, `expected many segments, got ${segs(dir).length}`);
    const { ids, batches } = readAll(q, 7);
    assert.deepEqual(ids, range(0, 200));
    for (const id of batches) q.ack(id);
    assert.equal(segs(dir).length, 1, 'only the write segment remains');
    await q.close();
    const again = open(dir, { segmentBytes: 2048 });
    assert.equal(again.q.queuedEvents, 0);
    await again.q.push(logRecords(500, 3));
    assert.deepEqual(readAll(again.q).ids, range(500, 3));
  });

  it('skips a torn tail (kill -9 mid-append) with a counter and a warning naming the file and offset', async () => {
    const dir = tempDir();
    const a = open(dir);
    await a.q.push(logRecords(0, 10));
    await a.q.close();
    const seg = join(dir, segs(dir).at(-2) ?? segs(dir)[0]!);
    const goodSize = readFileSync(seg).length;
    appendFileSync(seg, readFileSync(seg).subarray(0, 40)); // half of a frame
    const b = open(dir);
    assert.equal(b.c.corrupt, 1);
    assert.deepEqual(readAll(b.q).ids, range(0, 10));
    const warn = b.lines.find((l) => l.level === 40)!;
    assert.equal(warn.file, seg);
    assert.equal(warn.offset, goodSize);
    assert.match(String(warn.msg), /truncated/);
    await b.q.push(logRecords(10, 2)); // appends after a torn tail stay readable
    assert.deepEqual(readAll(b.q).ids, range(10, 2));
    assert.deepEqual(readAll(open(dir).q).ids, range(0, 12), 'and survive another restart');
  });

  it('skips a corrupt region in the middle, keeps reading the following segments', async () => {
    const dir = tempDir();
    const a = open(dir, { segmentBytes: 1500 });
    for (let i = 0; i < 6; i++) await a.q.push(logRecords(i * 10, 10));
    const files = segs(dir);
    const victim = join(dir, files[1]!);
    const buf = readFileSync(victim);
    buf[buf.length >> 1] ^= 0xff; // bit rot in the middle of the second segment
    writeFileSync(victim, buf);
    const b = open(dir, { segmentBytes: 1500 });
    assert.equal(b.c.corrupt, 1);
    const ids = readAll(b.q).ids;
    assert.ok(ids.length < 60 && ids.length >= 30, `lost only part of one segment, got ${ids.length}`);
    assert.deepEqual(ids.slice(0, 10), range(0, 10));
    assert.deepEqual(ids.slice(-10), range(50, 10), 'later segments still delivered');
    assert.equal(b.q.unreadEvents, 0);
  });

  it('survives an empty or garbage cursor file by replaying (never a crash)', async () => {
    const dir = tempDir();
    const a = open(dir);
    await a.q.push(logRecords(0, 5));
    a.q.ack(a.q.read(5, 1 << 30)!.id);
    writeFileSync(join(dir, 'cursor.json'), '{"segm');
    const b = open(dir);
    assert.deepEqual(readAll(b.q).ids, range(0, 5));
    assert.ok(b.lines.some((l) => /position unreadable/.test(String(l.msg))));
  });

  it('block: push waits for space until an ack frees it; close() rejects the waiting producer', async () => {
    const dir = tempDir();
    const { q } = open(dir, { maxBytes: 2000 });
    await q.push(logRecords(0, 10)); // ~150 B each with frame header
    let done = false;
    const p = q.push(logRecords(10, 10)).then(() => (done = true));
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    assert.equal(done, false, 'the producer waits while the queue is full');
    assert.ok(q.queuedBytes <= 2000);
    const b = q.read(1000, 1 << 30)!;
    q.ack(b.id);
    await p;
    assert.deepEqual([...idsOf(b.records), ...readAll(q).ids], range(0, 20), 'nothing lost, order kept');
    const { q: q2 } = open(tempDir(), { maxBytes: 500 });
    await q2.push(logRecords(0, 3));
    const blocked = q2.push(logRecords(3, 10));
    await q2.close();
    await assert.rejects(blocked, StoppingError);
  });

  it('drop_newest keeps the oldest records and counts the rest', async () => {
    const { q, c } = open(tempDir(), { maxBytes: 1500, whenFull: 'drop_newest' });
    await q.push(logRecords(0, 30));
    const kept = readAll(q).ids;
    assert.ok(kept.length > 0 && kept.length < 30);
    assert.deepEqual(kept, range(0, kept.length));
    assert.equal(c.dropped, 30 - kept.length);
    assert.ok(c.droppedBytes > 0);
  });

  it('drop_oldest keeps the newest records and counts the discarded ones', async () => {
    const { q, c } = open(tempDir(), { maxBytes: 1500, whenFull: 'drop_oldest' });
    for (let i = 0; i < 30; i++) await q.push(logRecords(i, 1));
    const kept = readAll(q).ids;
    assert.ok(kept.length > 0 && kept.length < 30);
    assert.deepEqual(kept, range(30 - kept.length, kept.length));
    assert.equal(c.dropped, 30 - kept.length);
    assert.ok(q.queuedBytes <= 1500);
  });

  it('lets a single record larger than the bound through when the queue is empty (else it could never pass)', async () => {
    const { q, c } = open(tempDir(), { maxBytes: 100, whenFull: 'drop_newest' });
    await q.push(logRecords(0, 1));
    assert.equal(c.dropped, 0);
    assert.equal(q.read(10, 1 << 30)!.records.length, 1);
  });

  it('truncated segment shorter than the persisted position is reported, not fatal', async () => {
    const dir = tempDir();
    const a = open(dir);
    await a.q.push(logRecords(0, 10));
    a.q.ack(a.q.read(8, 1 << 30)!.id);
    const seg = join(dir, segs(dir)[0]!);
    truncateSync(seg, 20);
    const b = open(dir);
    assert.equal(b.c.corrupt, 1);
    assert.equal(b.q.unreadEvents, 0);
  });

  it('keeps the frames of a push blocked by when_full: block intact while later pushes encode theirs', async () => {
    const dir = tempDir();
    const first = logRecords(10, 20);
    const frameBytes = 8 + JSON.stringify(first[0]).length;
    const a = open(dir, { maxBytes: 25 * frameBytes });
    await a.q.push(first);
    const blocked = a.q.push(logRecords(30, 10)); // 5 fit, 5 wait for space
    const later = a.q.push(logRecords(40, 10)); // encoded while the one above waits
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
    a.q.ack(a.q.read(20, 1 << 30)!.id);
    await Promise.all([blocked, later]);
    // Reopened without close (a crash): what the segments hold, decoded from disk.
    const got = open(dir).q.read(100, 1 << 30)!.records;
    assert.deepEqual(idsOf(got), range(30, 20));
    assert.deepEqual(got.map((r) => (r.kind === 'log' ? r.message : '')), range(30, 20).map((id) => `line ${id.slice(2)}`));
  });

  it('holds records in memory only for a reader that can reach them: a reader far behind gets them from disk', async () => {
    const { q } = open(tempDir()); // hot tail: 4 MiB
    const early = logRecords(0, 3);
    await q.push(early);
    assert.equal(q.read(10, 1 << 30)!.records[0], early[0], 'reader close behind: handed out as the same object');
    const big = Array.from({ length: 9 }, (_, i) => logRecord(3 + i, 'x'.repeat(600_000)));
    for (const r of big) await q.push([r]); // the last ones arrive with more than 4 MiB unread
    const got = [];
    for (let b = q.read(1, 1 << 30); b; b = q.read(1, 1 << 30)) got.push(...b.records);
    assert.deepEqual(idsOf(got), range(3, 9));
    assert.notEqual(got[8], big[8], 'pushed with a whole hot tail unread: not held, decoded from disk');
    assert.ok(JSON.stringify(got[8]) === JSON.stringify(big[8]), 'the same record');
  });

  it('caughtUp waits while a reading reader is far behind, and not for a reader that stopped reading', async () => {
    const dir = tempDir();
    const { q } = open(dir, { readerStallMs: 200 });
    await q.push(logRecords(0, 100));
    q.read(10, 1 << 30); // the reader is active
    let done = false;
    const waiting = q.caughtUp(50).then(() => (done = true));
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    assert.equal(done, false, '90 unread > 50: wait');
    q.read(30, 1 << 30);
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    assert.equal(done, false, '60 unread > 50: still waiting');
    q.read(30, 1 << 30);
    await waiting;
    assert.equal(done, true, '30 unread: caught up');
    await q.push(logRecords(100, 100));
    const t0 = Date.now();
    await q.caughtUp(50);
    const waited = Date.now() - t0;
    assert.ok(waited >= 150 && waited < 2000, `a reader idle for readerStallMs is not waited for (waited ${waited} ms)`);
    const t1 = Date.now();
    await q.caughtUp(50);
    assert.ok(Date.now() - t1 < 50, 'once stalled, producers go on at once');
  });
});
