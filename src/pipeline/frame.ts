// The on-disk record format of the DiskQueue: a frame per record, `[u32 LE payload length][u32 LE CRC32 of
// payload][payload = the record as UTF-8 JSON]`. The CRC catches a torn write (kill -9 mid-append) and bit rot,
// so a bad tail is skipped with a counter instead of feeding garbage to a sink.
import { crc32 } from 'node:zlib';
import type { TelemetryRecord } from '../model';
import { recordJson } from './record-json';

export const FRAME_HEADER = 8;
/** A length above this is garbage, not a record: no record we write comes near it. */
const MAX_PAYLOAD = 256 * 1024 * 1024;

export interface EncodedFrames {
  /** A view of a buffer shared by every call: valid until the next encodeFrames() (see `detach`). */
  buf: Buffer;
  /** Start of frame i is offsets[i]; offsets[n] is the end. */
  offsets: number[];
  /** Payload bytes (JSON length) of each record. */
  sizes: number[];
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

export function encodeFrames(records: TelemetryRecord[]): EncodedFrames {
  if (scratch.length > SCRATCH_KEEP) scratch = Buffer.allocUnsafe(1 << 20);
  const n = records.length;
  const offsets = new Array<number>(n + 1);
  const sizes = new Array<number>(n);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const json = recordJson(records[i]!);
    // UTF-8 needs at most 3 bytes per UTF-16 code unit: enough room without measuring the text first.
    const room = at + FRAME_HEADER + 3 * json.length;
    if (room > scratch.length) {
      const bigger = Buffer.allocUnsafe(Math.max(room, 2 * scratch.length));
      scratch.copy(bigger, 0, 0, at);
      scratch = bigger;
    }
    const start = at + FRAME_HEADER;
    const size = scratch.write(json, start, 'utf8');
    scratch.writeUInt32LE(size, at);
    scratch.writeUInt32LE(crc32(scratch.subarray(start, start + size)), at + 4);
    offsets[i] = at;
    sizes[i] = size;
    at = start + size;
  }
  offsets[n] = at;
  return { buf: scratch.subarray(0, at), offsets, sizes };
}

/** The same frames in a buffer of their own: for a holder that must keep them across an await. */
export function detach(frames: EncodedFrames): EncodedFrames {
  return { ...frames, buf: Buffer.from(frames.buf) };
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
  if (crc32(buf.subarray(payloadStart, end)) !== buf.readUInt32LE(at + 4)) return { kind: 'corrupt', reason: 'checksum mismatch' };
  return { kind: 'ok', payloadStart, end };
}
