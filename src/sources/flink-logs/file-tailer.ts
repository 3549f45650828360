// Follows one file: reads large chunks into a reused buffer, splits lines on \n in the Buffer (no string split,
// no regex), feeds them to the multiline assembler and hands out finished records. Positions are byte offsets,
// so a record's id and the committed offset survive restarts exactly.
//
//   file:  |---- committed ----|---- built, not yet acked ----|-- pending record --|-- carry (no \n yet) --|
//          0              committed                       builtUpTo          lineStartPos              readPos
import { isUtf8 } from 'node:buffer';
import type { FileHandle } from 'node:fs/promises';
import type { LogRecord } from '../../model';
import type { FileIdentity } from './file-identity';
import type { MultilineAssembler, PendingRecord } from './record-builder';

export interface TailerCounters {
  lines(n: number): void;
  truncatedLine(): void;
  invalidUtf8(): void;
}

export interface TailerOptions {
  maxLineBytes: number;
  counters: TailerCounters;
  makeRecord(p: PendingRecord): LogRecord;
}

const MIN_CHUNK = 1 << 20;

export class FileTailer {
  /** 'active': following; 'draining': rotated away or deleted, read to its end then close. */
  phase: 'active' | 'draining' = 'active';
  drainingSince = 0;
  /** End offset of the last record handed out; `committed` catches up once emit resolved. */
  builtUpTo: number;
  committed: number;
  readPos: number;
  private lineStartPos: number;
  private readonly buf: Buffer;
  private carry = 0;
  private carryTruncated = false;
  /** The original handle while reading the rest of a copytruncate copy through `fh`. */
  private extraHandle: FileHandle | undefined;

  constructor(public fh: FileHandle, public path: string, readonly id: FileIdentity, offset: number,
    private readonly assembler: MultilineAssembler, private readonly opts: TailerOptions) {
    this.readPos = this.lineStartPos = this.builtUpTo = this.committed = offset;
    this.buf = Buffer.allocUnsafe(Math.max(MIN_CHUNK, 2 * opts.maxLineBytes + 65536));
  }

  /** Reads one chunk; returns the number of bytes read (0 at end of file). */
  async readChunk(out: LogRecord[]): Promise<number> {
    const chunkPos = this.readPos;
    const { bytesRead } = await this.fh.read(this.buf, this.carry, this.buf.length - this.carry, chunkPos);
    if (bytesRead === 0) return 0;
    this.readPos += bytesRead;
    const n = this.carry + bytesRead;
    const view = this.buf.subarray(0, n);
    const fresh = this.buf.subarray(this.carry, n);
    // One check per chunk; the per-line work only happens when the chunk has garbage in it.
    const clean = isUtf8(fresh) && fresh.indexOf(0) < 0;
    const now = Date.now();
    let s = 0;
    let lines = 0;
    for (let nl = view.indexOf(10, this.carry); nl >= 0; nl = view.indexOf(10, s)) {
      const start = s === 0 ? this.lineStartPos : chunkPos + s - this.carry;
      const end = chunkPos + nl - this.carry + 1;
      this.line(s, nl, start, end, clean, now, out);
      s = nl + 1;
      lines++;
    }
    this.opts.counters.lines(lines);
    if (s > 0) this.lineStartPos = chunkPos + s - this.carry;
    const rest = n - s;
    if (rest > this.opts.maxLineBytes) {
      // An over-long line without its \n yet: keep its first max_line_bytes, drop the rest until the \n arrives.
      this.buf.copyWithin(0, s, s + this.opts.maxLineBytes);
      this.carry = this.opts.maxLineBytes;
      this.carryTruncated = true;
    } else {
      if (s > 0) this.buf.copyWithin(0, s, n);
      this.carry = rest;
    }
    return bytesRead;
  }

  private line(s: number, nl: number, start: number, end: number, clean: boolean, now: number, out: LogRecord[]): void {
    let e = nl > s && this.buf[nl - 1] === 13 ? nl - 1 : nl;
    if (e - s > this.opts.maxLineBytes || (s === 0 && this.carryTruncated)) {
      e = Math.min(e, s + this.opts.maxLineBytes);
      this.carryTruncated = false;
      this.opts.counters.truncatedLine();
    }
    let text = this.buf.toString('utf8', s, e);
    if (!clean) {
      const bytes = this.buf.subarray(s, e);
      if (!isUtf8(bytes) || bytes.indexOf(0) >= 0) {
        // Invalid UTF-8 is already U+FFFD from toString; NULs and other C0 controls (binary garbage) are made
        // visible too, because several sinks (PostgreSQL text) refuse a NUL.
        text = text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '\uFFFD');
        this.opts.counters.invalidUtf8();
      }
    }
    const done = this.assembler.push(text, start, end, now);
    if (done) this.emitRecord(done, out);
  }

  private emitRecord(p: PendingRecord, out: LogRecord[]): void {
    out.push(this.opts.makeRecord(p));
    this.builtUpTo = p.end;
  }

  /** Hands out the pending record once the file was quiet for `timeoutMs` and no partial line is waiting. */
  flushQuiet(now: number, timeoutMs: number, out: LogRecord[]): void {
    const p = this.assembler.peek();
    if (p !== undefined && this.carry === 0 && now - p.touchedAt >= timeoutMs) this.emitRecord(this.assembler.flush()!, out);
  }

  /** The file will not grow any more: its last line may lack a \n; everything pending becomes a record. */
  finish(out: LogRecord[]): void {
    if (this.carry > 0) {
      const text = this.buf.toString('utf8', 0, this.carry).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '\uFFFD');
      const done = this.assembler.push(text, this.lineStartPos, this.readPos, Date.now());
      if (done) this.emitRecord(done, out);
      this.carry = 0;
      this.lineStartPos = this.readPos;
    }
    const p = this.assembler.flush();
    if (p) this.emitRecord(p, out);
  }

  /** Size of what `fh` points at now (for truncation checks). */
  async size(): Promise<number> {
    return (await this.fh.stat()).size;
  }

  /** Copytruncate: read the rest of this file's content from its copy (same bytes up to the truncation). */
  readRestFrom(copy: FileHandle): void {
    this.extraHandle = this.fh;
    this.fh = copy;
  }

  async close(): Promise<void> {
    await this.fh.close().catch(() => undefined);
    if (this.extraHandle) await this.extraHandle.close().catch(() => undefined);
  }
}
