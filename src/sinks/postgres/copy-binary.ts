// A body for `COPY <table> (<columns>) FROM STDIN (FORMAT binary)` (PostgreSQL manual: COPY, "Binary Format"):
//
//   header   "PGCOPY\n\377\r\n\0" · int32 flags = 0 · int32 header extension length = 0
//   row      int16 field count · per field: int32 byte length (-1 = NULL) · the bytes
//   trailer  int16 -1
//
// The field bytes are each type's binary "send" form; this writes the five the sink's tables use:
//   bigint       int64 big-endian
//   timestamptz  int64 microseconds since 2000-01-01 00:00 UTC
//   float8       IEEE 754 big-endian; NaN and ±Infinity as they are
//   text         UTF-8
//   jsonb        a version byte (1), then the JSON text
//
// Binary rather than text: no number formatting here and no number parsing in the server (text COPY spends its
// time in float8in/timestamptz_in), and no escaping of tabs, newlines and backslashes in messages.

/** A bigint written as its two 32-bit halves (hi signed, lo unsigned), computed once per series. */
export interface Int64Halves {
  hi: number;
  lo: number;
}

/** A signed 64-bit decimal string → its two 32-bit halves. */
export function int64Halves(decimal: string): Int64Halves {
  const n = BigInt.asIntN(64, BigInt(decimal));
  return { hi: Number(n >> 32n), lo: Number(n & 0xffff_ffffn) };
}

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const TWO_32 = 2 ** 32;
/** 2000-01-01T00:00:00Z, PostgreSQL's timestamp epoch, in Unix milliseconds. */
const PG_EPOCH_MS = Date.UTC(2000, 0, 1);
/** Beyond this many ms from the PG epoch (≈ 285 years), µs exceed 2^53 and need BigInt to stay exact. */
const EXACT_MS = Math.floor(Number.MAX_SAFE_INTEGER / 1000);
/** A JS string never takes more than 3 UTF-8 bytes per UTF-16 unit (a surrogate pair: 4 bytes for 2 units). */
const MAX_UTF8_PER_UNIT = 3;
const JSONB_VERSION = 1;

export class CopyBinaryWriter {
  private buf: Buffer;
  private at: number;

  /** `bytesHint` sizes the first buffer; it grows (doubling) when rows need more. */
  constructor(bytesHint: number) {
    this.buf = Buffer.allocUnsafe(Math.max(64, bytesHint));
    SIGNATURE.copy(this.buf, 0);
    this.at = this.buf.writeInt32BE(0, SIGNATURE.length);
    this.at = this.buf.writeInt32BE(0, this.at);
  }

  /** Starts a row of `fields` fields; exactly that many field calls must follow. */
  row(fields: number): void {
    this.room(2);
    this.at = this.buf.writeInt16BE(fields, this.at);
  }

  int64(v: Int64Halves): void {
    this.room(12);
    let o = this.buf.writeInt32BE(8, this.at);
    o = this.buf.writeInt32BE(v.hi, o);
    this.at = this.buf.writeUInt32BE(v.lo, o);
  }

  /** `ms` must be a whole number of milliseconds (the encoder truncates). */
  timestamptz(ms: number): void {
    this.room(12);
    const o = this.buf.writeInt32BE(8, this.at);
    const fromEpoch = ms - PG_EPOCH_MS;
    if (Math.abs(fromEpoch) > EXACT_MS) {
      this.at = this.buf.writeBigInt64BE(BigInt(fromEpoch) * 1000n, o);
      return;
    }
    const us = fromEpoch * 1000;
    const hi = Math.floor(us / TWO_32);
    this.at = this.buf.writeUInt32BE(us - hi * TWO_32, this.buf.writeInt32BE(hi, o));
  }

  float8(v: number): void {
    this.room(12);
    this.at = this.buf.writeDoubleBE(v, this.buf.writeInt32BE(8, this.at));
  }

  /**
   * Text as it is: the caller has already replaced U+0000, which PostgreSQL cannot store. Buffer.write itself
   * writes a lone surrogate as U+FFFD (EF BF BD); the encoder relies on that (see clean in encode.ts).
   */
  text(s: string | null): void {
    if (s === null) return this.null();
    this.room(4 + s.length * MAX_UTF8_PER_UNIT);
    const n = this.buf.write(s, this.at + 4);
    this.buf.writeInt32BE(n, this.at);
    this.at += 4 + n;
  }

  /** JSON text (already serialized) as jsonb. */
  jsonb(json: string | null): void {
    if (json === null) return this.null();
    this.room(5 + json.length * MAX_UTF8_PER_UNIT);
    this.buf[this.at + 4] = JSONB_VERSION;
    const n = this.buf.write(json, this.at + 5);
    this.buf.writeInt32BE(n + 1, this.at);
    this.at += 5 + n;
  }

  /** The COPY body, trailer included. The writer must not be used after this. */
  finish(): Buffer {
    this.room(2);
    this.at = this.buf.writeInt16BE(-1, this.at);
    return this.buf.subarray(0, this.at);
  }

  private null(): void {
    this.room(4);
    this.at = this.buf.writeInt32BE(-1, this.at);
  }

  private room(bytes: number): void {
    if (this.at + bytes <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.at + bytes, this.buf.length * 2));
    this.buf.copy(bigger, 0, 0, this.at);
    this.buf = bigger;
  }
}
