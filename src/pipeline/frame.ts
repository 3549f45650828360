// The on-disk record format of the DiskQueue: a frame per record, `[u32 LE payload length][u32 LE CRC32 of
// payload][payload]`. The payload is the record as UTF-8 JSON, or for a sample of a described series the compact
// form of sample-frame.ts. The CRC catches a torn write (kill -9 mid-append) and bit rot, so a bad tail is skipped
// with a counter instead of feeding garbage to a sink.
import { crc32 } from 'node:zlib';
import type { Sample, TelemetryRecord } from '../model';
import { recordJson } from './record-json';
import { compactFlags, SAMPLE_DEF, SAMPLE_HEADER, SAMPLE_REF, seriesJson, writeSampleHeader, type SeriesRefs } from './sample-frame';

export const FRAME_HEADER = 8;
/** A length above this is garbage, not a record: no record we write comes near it. */
const MAX_PAYLOAD = 256 * 1024 * 1024;

/** Shared by every call, like the arrays and buffer it points into: valid until the next encodeFrames(). */
export interface EncodedFrames {
  buf: Buffer;
  /** Frames encoded. */
  count: number;
  /** Start of frame i is offsets[i]; offsets[count] is the end. */
  offsets: Float64Array;
  /** Payload bytes of each record. */
  sizes: Float64Array;
}

/**
 * Frames are encoded into one reused scratch buffer: each record's JSON text dies right after it is written,
 * instead of a whole batch of texts living until a buffer is sized (which made them survive young-generation
 * collections during a catch-up), and no batch-sized buffer is allocated and freed per push (malloc kept tens
 * of MB of those around).
 */
let scratch = Buffer.allocUnsafe(1 << 20);
/** A scratch grown for an outsized batch is given back after use rather than kept for the process lifetime. */
const SCRATCH_KEEP = 8 << 20;
/** Frame offsets and sizes of the last call, reused likewise: per-push arrays lived long enough to be promoted. */
let offsetsScratch = new Float64Array(4096);
let sizesScratch = new Float64Array(4096);

/**
 * Frames of `records[from..]`, samples against the series refs of the segment they are meant for (see
 * SeriesRefs.commit: the caller says which frames it wrote).
 */
export function encodeFrames(records: TelemetryRecord[], from: number, refs: SeriesRefs): EncodedFrames {
  if (scratch.length > SCRATCH_KEEP) scratch = Buffer.allocUnsafe(1 << 20);
  const n = records.length - from;
  if (offsetsScratch.length <= n || offsetsScratch.length > 1 << 18) {
    offsetsScratch = new Float64Array(Math.max(4096, 2 * n));
    sizesScratch = new Float64Array(Math.max(4096, 2 * n));
  }
  const offsets = offsetsScratch;
  const sizes = sizesScratch;
  let at = 0;
  for (let i = 0; i < n; i++) {
    const record = records[from + i]!;
    const start = at + FRAME_HEADER;
    const flags = compactFlags(record);
    let size: number;
    if (flags >= 0) {
      const sample = record as Sample;
      const ref = refs.find(sample.name, sample.labels);
      if (ref >= 0) {
        ensure(at, SAMPLE_HEADER);
        writeSampleHeader(scratch, start, SAMPLE_REF, flags, ref, sample);
        size = SAMPLE_HEADER;
      } else {
        const json = seriesJson(sample);
        ensure(at, SAMPLE_HEADER + 3 * json.length);
        writeSampleHeader(scratch, start, SAMPLE_DEF, flags, refs.add(sample.name, sample.labels, i), sample);
        size = SAMPLE_HEADER + scratch.write(json, start + SAMPLE_HEADER, 'utf8');
      }
    } else {
      const json = recordJson(record);
      // UTF-8 needs at most 3 bytes per UTF-16 code unit: enough room without measuring the text first.
      ensure(at, 3 * json.length);
      size = scratch.write(json, start, 'utf8');
    }
    scratch.writeUInt32LE(size, at);
    scratch.writeUInt32LE(payloadCrc(scratch, start, start + size), at + 4);
    offsets[i] = at;
    sizes[i] = size;
    at = start + size;
  }
  offsets[n] = at;
  return { buf: scratch.subarray(0, at), count: n, offsets, sizes };
}

/** Room in the scratch for a frame of up to `payload` bytes at `at`, keeping the frames before it. */
function ensure(at: number, payload: number): void {
  const room = at + FRAME_HEADER + payload;
  if (room <= scratch.length) return;
  const bigger = Buffer.allocUnsafe(Math.max(room, 2 * scratch.length));
  scratch.copy(bigger, 0, 0, at);
  scratch = bigger;
}

export type FrameCheck =
  | { kind: 'ok'; payloadStart: number; end: number }
  /** The frame does not fit in the bytes given: read more (or, at the end of a segment, a truncated tail). */
  | { kind: 'incomplete'; need: number }
  | { kind: 'corrupt'; reason: string };

/** Checks the frame starting at `at` in `buf[.. limit)`. */
export function checkFrame(buf: Buffer, at: number, limit: number): FrameCheck {
  if (limit - at < FRAME_HEADER) return { kind: 'incomplete', need: FRAME_HEADER };
  const len = buf.readUInt32LE(at);
  if (len === 0 || len > MAX_PAYLOAD) return { kind: 'corrupt', reason: `impossible record length ${len}` };
  const end = at + FRAME_HEADER + len;
  if (end > limit) return { kind: 'incomplete', need: FRAME_HEADER + len };
  const payloadStart = at + FRAME_HEADER;
  if (payloadCrc(buf, payloadStart, end) !== buf.readUInt32LE(at + 4)) return { kind: 'corrupt', reason: 'checksum mismatch' };
  return { kind: 'ok', payloadStart, end };
}

/** CRC-32 (zlib's) of a table-driven byte loop, for payloads too short to be worth a native call. */
const CRC_TABLE = new Int32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});
const SHORT_PAYLOAD = 128;

/**
 * CRC-32 of `buf[start, end)`. A compact sample is 22 bytes: zlib's crc32 wants a Buffer of its own, and that view
 * object per frame cost more than the checksum (and was promoted while a batch was in flight); the table loop
 * allocates nothing. Longer payloads go to zlib, whose native code is faster per byte.
 */
export function payloadCrc(buf: Buffer, start: number, end: number): number {
  if (end - start >= SHORT_PAYLOAD) return crc32(buf.subarray(start, end));
  let c = -1;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}
