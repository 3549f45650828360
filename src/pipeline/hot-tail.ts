// The most recent frames appended to the DiskQueue, kept as the objects they were made from. While the sink
// keeps up, the reader sits right behind the writer and takes records from here instead of reading and
// JSON-decoding them back from the page cache (the queue's main cost). Bounded by bytes; on disk regardless.
import type { TelemetryRecord } from '../model';
import type { Frames } from './segment-reader';

interface HotEntry {
  seg: number;
  start: number;
  end: number;
  record: TelemetryRecord;
  size: number;
}

export class HotTail {
  private entries: HotEntry[] = [];
  private head = 0;
  private bytes = 0;

  constructor(readonly maxBytes: number) {}

  push(seg: number, start: number, end: number, record: TelemetryRecord, size: number): void {
    this.entries.push({ seg, start, end, record, size });
    this.bytes += end - start;
    while (this.bytes > this.maxBytes) this.dropHead();
  }

  /** Consecutive records starting exactly at (seg, off), within the limits; undefined when not held here. */
  take(seg: number, off: number, maxEvents: number, maxBytes: number): Frames | undefined {
    while (this.head < this.entries.length) {
      const e = this.entries[this.head]!;
      if (e.seg > seg || (e.seg === seg && e.start >= off)) break;
      this.dropHead(); // already read from disk, or dropped
    }
    const first = this.entries[this.head];
    if (!first || first.seg !== seg || first.start !== off) return undefined;
    const frames: Frames = { records: [], sizes: [], payloadBytes: 0, count: 0, bytes: 0 };
    let pos = off;
    while (this.head < this.entries.length && frames.count < maxEvents) {
      const e = this.entries[this.head]!;
      if (e.seg !== seg || e.start !== pos) break;
      if (frames.count > 0 && frames.payloadBytes + e.size > maxBytes) break;
      frames.records.push(e.record);
      frames.sizes.push(e.size);
      frames.payloadBytes += e.size;
      frames.count++;
      pos = e.end;
      this.dropHead();
    }
    frames.bytes = pos - off;
    return frames;
  }

  private dropHead(): void {
    const e = this.entries[this.head++]!;
    this.bytes -= e.end - e.start;
    if (this.head > 4096 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
}
