// Reads frames from one DiskQueue segment file at a position: positional reads into a reused buffer, frame
// checks (length + CRC32), and decoding of the payloads (JSON, or compact samples: sample-frame.ts).
import { closeSync, openSync, readSync } from 'node:fs';
import type { TelemetryRecord } from '../model';
import { checkFrame, FRAME_HEADER } from './frame';
import { rememberJson } from './record-json';
import { readSample, readSeriesDef, SAMPLE_DEF, SAMPLE_REF, sampleRef, type SeriesDef } from './sample-frame';

export interface Frames {
  records: TelemetryRecord[];
  sizes: number[];
  /** Payload bytes of the records. */
  payloadBytes: number;
  count: number;
  /** Bytes of the frames read (headers included): how far the read cursor moves. */
  bytes: number;
}

export type ReadOutcome = { kind: 'frames'; frames: Frames } | { kind: 'corrupt'; reason: string };

export interface SegmentRef {
  id: number;
  path: string;
  /** End of the valid frames. */
  size: number;
  /** Offset of the definition frame of each series ref. */
  defs: readonly number[];
}

export class SegmentReader {
  private fd = -1;
  private segId = -1;
  private buf = Buffer.allocUnsafe(1 << 20);
  /** Series of the open segment by ref, as read (or looked up through `defs`). */
  private series: Array<SeriesDef | undefined> = [];

  /** Up to `maxEvents` frames (and `maxBytes` of payload, at least one frame) from `off` < `seg.size`. */
  read(seg: SegmentRef, off: number, maxEvents: number, maxBytes: number, decode: boolean): ReadOutcome {
    const avail = seg.size - off;
    let want = Math.min(avail, maxBytes + FRAME_HEADER * Math.min(maxEvents, 1024));
    for (;;) {
      const got = this.fill(seg, off, want);
      const frames: Frames = { records: [], sizes: [], payloadBytes: 0, count: 0, bytes: 0 };
      while (frames.count < maxEvents && frames.bytes < got) {
        const f = checkFrame(this.buf, frames.bytes, got);
        if (f.kind === 'incomplete' && want < avail) break;
        if (f.kind !== 'ok') {
          // Hand out the good frames first; the bad one is met at the next read.
          if (frames.count > 0) break;
          return { kind: 'corrupt', reason: f.kind === 'corrupt' ? f.reason : 'truncated record' };
        }
        const size = f.end - f.payloadStart;
        if (frames.count > 0 && frames.payloadBytes + size > maxBytes) break;
        if (decode) {
          const record = this.decode(seg, f.payloadStart, f.end);
          if (record === undefined) {
            if (frames.count > 0) break;
            return { kind: 'corrupt', reason: `a sample refers to series ${sampleRef(this.buf, f.payloadStart)}, whose definition is unreadable` };
          }
          frames.records.push(record);
        }
        frames.sizes.push(size);
        frames.payloadBytes += size;
        frames.count++;
        frames.bytes = f.end;
      }
      if (frames.count > 0) return { kind: 'frames', frames };
      // The first frame is larger than what was read: read exactly that much and try again.
      const first = checkFrame(this.buf, 0, got);
      want = Math.min(avail, first.kind === 'incomplete' ? first.need : avail);
    }
  }

  private decode(seg: SegmentRef, start: number, end: number): TelemetryRecord | undefined {
    const tag = this.buf[start];
    if (tag === SAMPLE_DEF) {
      // A ref is defined once per segment, so a definition already resolved (through `defs`) is not parsed again.
      const def = (this.series[sampleRef(this.buf, start)] ??= readSeriesDef(this.buf, start, end));
      return readSample(this.buf, start, def);
    }
    if (tag === SAMPLE_REF) {
      const ref = sampleRef(this.buf, start);
      const def = this.series[ref] ?? this.lookup(seg, ref);
      return def && readSample(this.buf, start, def);
    }
    const json = this.buf.toString('utf8', start, end);
    const record = JSON.parse(json) as TelemetryRecord;
    rememberJson(record, json);
    return record;
  }

  /** The definition of `ref` from its frame (the reader skipped it: taken from the hot tail, or before the start). */
  private lookup(seg: SegmentRef, ref: number): SeriesDef | undefined {
    const at = seg.defs[ref];
    if (at === undefined) return undefined;
    const head = Buffer.allocUnsafe(FRAME_HEADER);
    if (readSync(this.fd, head, 0, FRAME_HEADER, at) < FRAME_HEADER) return undefined;
    const size = checkFrame(head, 0, FRAME_HEADER);
    if (size.kind !== 'incomplete') return undefined; // an impossible length
    const frame = Buffer.allocUnsafe(size.need);
    if (readSync(this.fd, frame, 0, frame.length, at) < frame.length) return undefined;
    const f = checkFrame(frame, 0, frame.length);
    if (f.kind !== 'ok' || frame[f.payloadStart] !== SAMPLE_DEF || sampleRef(frame, f.payloadStart) !== ref) return undefined;
    const def = readSeriesDef(frame, f.payloadStart, f.end);
    this.series[ref] = def;
    return def;
  }

  /** Closes the file if it is segment `id` (about to be unlinked), or whatever is open when id is undefined. */
  close(id?: number): void {
    if (this.fd >= 0 && (id === undefined || id === this.segId)) {
      closeSync(this.fd);
      this.fd = -1;
      this.segId = -1;
      this.series = [];
    }
  }

  private fill(seg: SegmentRef, off: number, want: number): number {
    if (this.segId !== seg.id) {
      this.close();
      this.fd = openSync(seg.path, 'r');
      this.segId = seg.id;
    }
    if (this.buf.length < want) this.buf = Buffer.allocUnsafe(want);
    let got = 0;
    while (got < want) {
      const r = readSync(this.fd, this.buf, got, want - got, off + got);
      if (r === 0) break;
      got += r;
    }
    return got;
  }
}
