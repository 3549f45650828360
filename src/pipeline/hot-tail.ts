// The most recent frames appended to the DiskQueue, kept as the objects they were made from. While the sink
// keeps up, the reader sits right behind the writer and takes records from here instead of reading and
// decoding them back from the page cache (the queue's main cost). Bounded by bytes and records; on disk regardless.
// A fixed ring of typed arrays rather than an object per entry: at thousands of samples per second those entries
// lived exactly long enough to be promoted to V8's old generation, and each cost a full collection's worth of work.
import type { TelemetryRecord } from '../model';
import type { Frames } from './segment-reader';

export class HotTail {
  private readonly seg: Float64Array;
  private readonly start: Float64Array;
  private readonly end: Float64Array;
  private readonly size: Uint32Array;
  private readonly records: Array<TelemetryRecord | undefined>;
  /** Ring index of the oldest entry, and how many are held. */
  private head = 0;
  private count = 0;
  private bytes = 0;

  constructor(
    readonly maxBytes: number,
    readonly maxEvents: number,
  ) {
    this.seg = new Float64Array(maxEvents);
    this.start = new Float64Array(maxEvents);
    this.end = new Float64Array(maxEvents);
    this.size = new Uint32Array(maxEvents);
    this.records = new Array<TelemetryRecord | undefined>(maxEvents).fill(undefined);
  }

  push(seg: number, start: number, end: number, record: TelemetryRecord, size: number): void {
    if (this.count === this.maxEvents) this.dropHead();
    const k = (this.head + this.count) % this.maxEvents;
    this.seg[k] = seg;
    this.start[k] = start;
    this.end[k] = end;
    this.size[k] = size;
    this.records[k] = record;
    this.count++;
    this.bytes += end - start;
    while (this.bytes > this.maxBytes) this.dropHead();
  }

  /** Consecutive records starting exactly at (seg, off), within the limits; undefined when not held here. */
  take(seg: number, off: number, maxEvents: number, maxBytes: number): Frames | undefined {
    // Entries before the position were read from disk, or dropped.
    while (this.count > 0 && (this.seg[this.head]! < seg || (this.seg[this.head] === seg && this.start[this.head]! < off))) this.dropHead();
    if (this.count === 0 || this.seg[this.head] !== seg || this.start[this.head] !== off) return undefined;
    const frames: Frames = { records: [], sizes: [], payloadBytes: 0, count: 0, bytes: 0 };
    let pos = off;
    while (this.count > 0 && frames.count < maxEvents) {
      const h = this.head;
      if (this.seg[h] !== seg || this.start[h] !== pos) break;
      const size = this.size[h]!;
      if (frames.count > 0 && frames.payloadBytes + size > maxBytes) break;
      frames.records.push(this.records[h]!);
      frames.sizes.push(size);
      frames.payloadBytes += size;
      frames.count++;
      pos = this.end[h]!;
      this.dropHead();
    }
    frames.bytes = pos - off;
    return frames;
  }

  private dropHead(): void {
    const h = this.head;
    this.bytes -= this.end[h]! - this.start[h]!;
    this.records[h] = undefined;
    this.head = (h + 1) % this.maxEvents;
    this.count--;
  }
}
