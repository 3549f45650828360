// DiskQueue: one sink's undelivered records, on disk under `<dataDir>/queues/<sink>/`.
//
//    cursor.json = { segment: 41, offset: 1200 }   (persisted: the first record not yet acknowledged)
//          │
//          ▼
//   ┌──────────────── 41.seg ────────────────┐┌──────────── 42.seg ─────────────┐┌── 43.seg (write) ──┐
//   │ acked │ in flight │ acked │ in flight  ││ in flight │ unread ...          ││ unread ...         │
//   └───────┴───────────┴───────┴────────────┘└───────────┴─────────────────────┘└────────────────────┘
//           ▲ ack cursor                                   ▲ read cursor                           ▲ write cursor
//
// - push() appends frames (length + CRC32 + JSON, or a compact sample: sample-frame.ts) at the write cursor; a full
//   segment is closed and the next one opened. Appends are not fsynced: they only need to survive `kill -9`, which
//   the page cache does. A sample's series is defined once per segment; the segment keeps where each definition
//   is (`defs`), so a reader that took the definition from the hot tail, or starts mid-segment, can resolve it.
// - read() hands out the next records from the read cursor as a batch; the batch is "in flight" until ack().
// - ack() may arrive out of order (request.concurrency > 1). The ack cursor, and cursor.json, move only over
//   a prefix of acknowledged batches; a segment is unlinked once the ack cursor has left it, after cursor.json
//   was rewritten (so a crash in between leaves a stale segment that start-up deletes, never a lost one).
// - On start, every segment from cursor.json on is scanned; a torn or corrupt tail is skipped with a warn line
//   naming the file and offset and `fta_buffer_corrupt_records_total`, never a crash. Writing always resumes in
//   a fresh segment, so new frames never follow garbage.
// - The bound (`buffer.max_size`) counts bytes not yet acknowledged; disk use may exceed it by one segment.
//   Memory stays bounded: the in-flight batches, plus a hot tail (hot-tail.ts, <= 4MiB, 16k records) of just-appended
//   records that a reader keeping up takes without decoding them back from disk.
// - caughtUp() lets a producer that is far ahead of a reading sink wait (the Router uses it to pace a source
//   catching up a backlog), so the reader stays in the hot tail; a reader that stopped reading is not waited for.
import { closeSync, fsyncSync, mkdirSync, openSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs';
import type { Logger } from 'pino';
import type { TelemetryRecord } from '../model';
import { AckTracker } from './ack-tracker';
import type { BufferBatch, BufferCounters, RecordBuffer } from './buffer';
import { StoppingError } from './buffer';
import { encodeFrames, type EncodedFrames } from './frame';
import { HotTail } from './hot-tail';
import { SeriesRefs } from './sample-frame';
import { SegmentReader } from './segment-reader';
import { Notifier } from './notifier';
import { CursorFile, listSegmentIds, readCursor, scanSegment, segmentPath, CURSOR_FILE, type Position } from './segments';

/** Bounds the records the hot tail holds when frames are small (compact samples): 4 MiB of them would be ~190k. */
const HOT_TAIL_EVENTS = 16_384;

export type WhenFull = 'block' | 'drop_newest' | 'drop_oldest';

export interface DiskQueueOptions {
  /** `<dataDir>/queues/<sink>`; created when missing. */
  dir: string;
  /** Sink name, for messages. */
  sink: string;
  maxBytes: number;
  whenFull: WhenFull;
  /** Roll to a new segment file past this size; default max_size/16 clamped to [64KiB, 32MiB]. */
  segmentBytes?: number;
  /** caughtUp() stops waiting for a reader that took nothing for this long; default 1s. */
  readerStallMs?: number;
  logger: Logger;
  counters: BufferCounters;
}

interface Segment {
  id: number;
  path: string;
  /** End of the valid frames: reads stop here. */
  size: number;
  /** Valid frames after `start` (the persisted offset for the first segment, else 0). */
  events: number;
  /** Offset of the definition frame of each series ref (sample-frame.ts). */
  defs: number[];
}

export class DiskQueue implements RecordBuffer {
  private readonly segments: Segment[] = [];
  private writeSeg!: Segment;
  private writeRefs!: SeriesRefs;
  private writeFd = -1;
  private readSeg!: Segment;
  private readOff = 0;
  private readEventsInSeg = 0;
  private readonly reader = new SegmentReader();
  private readonly cursor: CursorFile;
  private readonly hot: HotTail;
  private ackPos: Position;
  private readonly tracker = new AckTracker<Position>();
  private unreadE = 0;
  private unreadB = 0;
  private inflightE = 0;
  private inflightB = 0;
  private closed = false;
  private readonly closing = new AbortController();
  private readonly pushed = new Notifier();
  private readonly freed = new Notifier();
  private readonly taken = new Notifier();
  /** When read() last handed out a batch (ms). Starts at open: a sink still starting up gets `readerStallMs`. */
  private lastReadAt = Date.now();
  private readonly segmentBytes: number;

  static open(options: DiskQueueOptions): DiskQueue {
    return new DiskQueue(options);
  }

  private constructor(private readonly o: DiskQueueOptions) {
    this.cursor = new CursorFile(o.dir);
    this.hot = new HotTail(Math.min(o.maxBytes, 4 << 20), HOT_TAIL_EVENTS);
    this.segmentBytes = o.segmentBytes ?? Math.min(32 << 20, Math.max(64 << 10, Math.floor(o.maxBytes / 16)));
    mkdirSync(o.dir, { recursive: true });
    rmSync(`${o.dir}/${CURSOR_FILE}.tmp`, { force: true });
    const { cursor, problem } = readCursor(o.dir);
    const ids = listSegmentIds(o.dir);
    if (problem) o.logger.warn({ sink: o.sink, file: `${o.dir}/${CURSOR_FILE}` }, `disk queue position unreadable (${problem}); replaying every segment (duplicates possible, nothing lost)`);
    const start: Position = cursor ?? { segment: ids[0] ?? 1, offset: 0 };
    for (const id of ids) {
      // Left over when a crash hit between rewriting cursor.json and unlinking a consumed segment.
      if (id < start.segment) unlinkSync(segmentPath(o.dir, id));
      else this.segments.push(this.replay(id, id === start.segment ? start.offset : 0));
    }
    this.ackPos = this.segments.length && this.segments[0]!.id === start.segment ? start : { segment: this.segments[0]?.id ?? start.segment, offset: 0 };
    this.openWriteSegment(Math.max(start.segment, (ids.at(-1) ?? 0) + 1));
    this.readSeg = this.segments[0]!;
    this.readOff = this.ackPos.offset;
    this.persistAck(this.ackPos, true);
  }

  /** Scans one segment at start-up; a bad tail is logged, counted and left unread. */
  private replay(id: number, from: number): Segment {
    const path = segmentPath(this.o.dir, id);
    const scan = scanSegment(path, from);
    if (scan.corrupt) {
      this.o.logger.warn({ sink: this.o.sink, file: path, offset: scan.corrupt.offset }, `disk queue: skipping corrupt data in ${path} at offset ${scan.corrupt.offset} (${scan.corrupt.reason}); counted in fta_buffer_corrupt_records_total`);
      this.o.counters.corrupt(1);
    }
    this.unreadE += scan.events;
    this.unreadB += scan.bytes;
    return { id, path, size: scan.end, events: scan.events, defs: scan.defs };
  }

  private openWriteSegment(id: number): void {
    if (this.writeFd >= 0) closeSync(this.writeFd);
    this.writeRefs = new SeriesRefs();
    const seg: Segment = { id, path: segmentPath(this.o.dir, id), size: 0, events: 0, defs: this.writeRefs.defs };
    this.writeFd = openSync(seg.path, 'wx');
    this.segments.push(seg);
    this.writeSeg = seg;
  }

  get unreadEvents(): number { return this.unreadE; }
  get unreadBytes(): number { return this.unreadB; }
  get queuedEvents(): number { return this.unreadE + this.inflightE; }
  get queuedBytes(): number { return this.unreadB + this.inflightB; }
  get diskBytes(): number {
    let total = 0;
    for (const s of this.segments) total += s === this.writeSeg ? s.size : statSize(s.path);
    return total;
  }

  nextPush(signal?: AbortSignal): Promise<void> {
    return this.pushed.next(signal);
  }

  async push(records: TelemetryRecord[]): Promise<void> {
    if (this.closed) throw new StoppingError(this.o.sink);
    if (records.length === 0) return;
    const n = records.length;
    // Frames of records[base..]. Once some were written (their series refs committed, the rest forgotten), or after
    // a wait (other pushes wrote meanwhile, maybe into a new segment), what is left is encoded anew.
    let base = 0;
    let frames = encodeFrames(records, 0, this.writeRefs);
    this.o.counters.received(n, total(frames.sizes, frames.count));
    for (let i = 0; ; ) {
      if (this.closed) throw new StoppingError(this.o.sink);
      const { offsets, sizes } = frames;
      let j = i;
      while (j < n && this.queuedBytes + offsets[j + 1 - base]! - offsets[i - base]! <= this.o.maxBytes) j++;
      // A record larger than the whole bound still goes in when the queue is empty, or it could never pass.
      if (j === i && this.queuedEvents === 0) j = i + 1;
      if (j > i) {
        this.append(records, frames, base, i, j);
        i = j;
        if (i === n) return;
      } else {
        // Nothing fits. The series these frames would have defined are forgotten before anything else may write.
        this.writeRefs.forget();
        if (this.o.whenFull === 'block') {
          // Because the producer must not commit what was not taken, it waits here until acks free space.
          await this.freed.next(this.closing.signal);
        } else if (this.o.whenFull === 'drop_newest' || !this.dropOldest(offsets[i + 1 - base]! - offsets[i - base]!)) {
          this.o.counters.dropped(n - i, total(sizes.subarray(i - base), n - i));
          return;
        }
      }
      frames = encodeFrames(records, i, this.writeRefs);
      base = i;
    }
  }

  /** Writes frames of records[i..j) (frames start at records[base]); commits their series refs, forgets the rest's. */
  private append(records: TelemetryRecord[], { buf, offsets, sizes }: EncodedFrames, base: number, i: number, j: number): void {
    let at = offsets[i - base]!;
    const end = offsets[j - base]!;
    const start = at;
    // Positional writes: after a failed (e.g. ENOSPC) partial write the next append overwrites the torn bytes.
    while (at < end) at += writeSync(this.writeFd, buf, at, end - at, this.writeSeg.size + at - start);
    const segBase = this.writeSeg.size - start;
    this.writeRefs.commit(j - base, (k) => segBase + offsets[k]!);
    // A reader already a whole hot tail behind would find these evicted before it gets here: holding them would
    // only keep records alive (and promoted to V8's old generation) for nothing; it reads them from disk.
    if (this.unreadB < this.hot.maxBytes && this.unreadE < this.hot.maxEvents) {
      for (let k = i; k < j; k++) this.hot.push(this.writeSeg.id, segBase + offsets[k - base]!, segBase + offsets[k + 1 - base]!, records[k]!, sizes[k - base]!);
    }
    this.writeSeg.size += end - start;
    this.writeSeg.events += j - i;
    this.unreadE += j - i;
    this.unreadB += end - start;
    if (this.writeSeg.size >= this.segmentBytes) this.openWriteSegment(this.writeSeg.id + 1);
    this.pushed.notify();
  }

  /** Discards unread records from the head until `need` more bytes fit; false when nothing unread is left. */
  private dropOldest(need: number): boolean {
    while (this.queuedBytes + need > this.o.maxBytes) {
      const batch = this.take(1000, Math.max(need, 1), false);
      if (!batch) return false;
      this.o.counters.dropped(batch.count, batch.payloadBytes);
      this.settle(this.tracker.ack(batch.id));
    }
    return true;
  }

  read(maxEvents: number, maxBytes: number): BufferBatch | undefined {
    const b = this.take(maxEvents, maxBytes, true);
    if (!b) return undefined;
    this.lastReadAt = Date.now();
    this.taken.notify();
    return { id: b.id, records: b.records, sizes: b.sizes, bytes: b.payloadBytes };
  }

  /**
   * Resolves once at most `maxUnreadEvents` records and half a hot tail of bytes are unread (the reader takes the
   * next records from memory), or as soon as the reader took nothing for `readerStallMs` (sink down or backing
   * off: then the disk holds the backlog, which is what it is for), or at close.
   */
  async caughtUp(maxUnreadEvents: number): Promise<void> {
    const stallMs = this.o.readerStallMs ?? 1000;
    while (!this.closed && (this.unreadE > maxUnreadEvents || this.unreadB > this.hot.maxBytes / 2)) {
      const idle = Date.now() - this.lastReadAt;
      if (idle >= stallMs) return;
      await this.taken.nextWithin(stallMs - idle, this.closing.signal);
    }
  }

  /** Takes frames from the read cursor, within one segment; decodes them unless they are being dropped. */
  private take(maxEvents: number, maxBytes: number, decode: boolean) {
    while (this.unreadE > 0) {
      if (this.readOff >= this.readSeg.size) {
        if (this.readSeg === this.writeSeg) return undefined;
        this.readSeg = this.segments[this.segments.indexOf(this.readSeg) + 1]!;
        this.readOff = 0;
        this.readEventsInSeg = 0;
        continue;
      }
      const hot = decode ? this.hot.take(this.readSeg.id, this.readOff, maxEvents, maxBytes) : undefined;
      const r = hot ? { kind: 'frames' as const, frames: hot } : this.reader.read(this.readSeg, this.readOff, maxEvents, maxBytes, decode);
      if (r.kind === 'corrupt') {
        this.skipCorrupt(r.reason);
        continue;
      }
      const { count, bytes } = r.frames;
      this.readOff += bytes;
      this.readEventsInSeg += count;
      this.unreadE -= count;
      this.unreadB -= bytes;
      this.inflightE += count;
      this.inflightB += bytes;
      const id = this.tracker.add({ segment: this.readSeg.id, offset: this.readOff }, count, bytes);
      return { id, ...r.frames };
    }
    return undefined;
  }

  /** The rest of the read segment is unreadable (changed under us after start-up): skip it, count it, go on. */
  private skipCorrupt(reason: string): void {
    const seg = this.readSeg;
    this.o.logger.warn({ sink: this.o.sink, file: seg.path, offset: this.readOff }, `disk queue: skipping corrupt data in ${seg.path} at offset ${this.readOff} (${reason}); counted in fta_buffer_corrupt_records_total`);
    this.o.counters.corrupt(1);
    const lostEvents = seg.events - this.readEventsInSeg;
    const lostBytes = seg.size - this.readOff;
    this.unreadE -= lostEvents;
    this.unreadB -= lostBytes;
    seg.events = this.readEventsInSeg;
    seg.size = this.readOff;
    // New frames must not land behind the garbage, or they would be unreachable.
    if (seg === this.writeSeg) this.openWriteSegment(seg.id + 1);
  }

  ack(batchId: number): void {
    this.settle(this.tracker.ack(batchId));
  }

  private settle(acked: { events: number; bytes: number; advancedTo?: Position }): void {
    this.inflightE -= acked.events;
    this.inflightB -= acked.bytes;
    if (acked.advancedTo) this.persistAck(acked.advancedTo, false);
    this.freed.notify();
  }

  /** Moves the ack cursor; rewrites cursor.json before unlinking the segments it has left. */
  private persistAck(pos: Position, sync: boolean): void {
    let p = pos;
    const consumed: Segment[] = [];
    while (this.segments[0] !== this.writeSeg && this.segments[0]!.id <= p.segment && (this.segments[0]!.id < p.segment || p.offset >= this.segments[0]!.size)) {
      consumed.push(this.segments.shift()!);
      p = { segment: this.segments[0]!.id, offset: 0 };
    }
    this.ackPos = p;
    this.cursor.write(p, sync);
    for (const s of consumed) {
      this.reader.close(s.id);
      unlinkSync(s.path);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort();
    // A clean shutdown is the one moment worth an fsync: the host may go down right after.
    fsyncSync(this.writeFd);
    closeSync(this.writeFd);
    this.reader.close();
    this.persistAck(this.ackPos, true);
    this.cursor.close();
  }
}

function total(sizes: Float64Array, count: number): number {
  let sum = 0;
  for (let k = 0; k < count; k++) sum += sizes[k]!;
  return sum;
}

function statSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
