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
  buf: Buffer;
  /** Start of frame i is offsets[i]; offsets[n] is the end. */
  offsets: number[];
  /** Payload bytes (JSON length) of each record. */
  sizes: number[];
}

export function encodeFrames(records: TelemetryRecord[]): EncodedFrames {
  const jsons = records.map(recordJson);
  const sizes = jsons.map((j) => Buffer.byteLength(j));
  const offsets = new Array<number>(records.length + 1);
  let total = 0;
  for (let i = 0; i < sizes.length; i++) {
    offsets[i] = total;
    total += FRAME_HEADER + sizes[i]!;
  }
  offsets[records.length] = total;
  const buf = Buffer.allocUnsafe(total);
  for (let i = 0; i < jsons.length; i++) {
    const start = offsets[i]! + FRAME_HEADER;
    buf.write(jsons[i]!, start, 'utf8');
    buf.writeUInt32LE(sizes[i]!, offsets[i]!);
    buf.writeUInt32LE(crc32(buf.subarray(start, start + sizes[i]!)), offsets[i]! + 4);
  }
  return { buf, offsets, sizes };
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
