// Files of one DiskQueue directory: numbered segment files (`0000000000000042.seg`) and `cursor.json`, the
// persisted read position (first record not yet acknowledged). Plain synchronous I/O: these run at start-up,
// at shutdown and once per acknowledged batch, where the page cache answers in microseconds.
import { closeSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { checkFrame } from './frame';
import { SAMPLE_DEF, sampleRef } from './sample-frame';

export interface Position {
  segment: number;
  offset: number;
}

export const CURSOR_FILE = 'cursor.json';

export function segmentPath(dir: string, id: number): string {
  return join(dir, `${String(id).padStart(16, '0')}.seg`);
}

export function listSegmentIds(dir: string): number[] {
  return readdirSync(dir)
    .filter((f) => /^\d{16}\.seg$/.test(f))
    .map((f) => Number(f.slice(0, 16)))
    .sort((a, b) => a - b);
}

/** The persisted position, or undefined when absent; `problem` when the file exists but is unreadable. */
export function readCursor(dir: string): { cursor?: Position; problem?: string } {
  let text: string;
  try {
    text = readFileSync(join(dir, CURSOR_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    return { problem: (err as Error).message };
  }
  try {
    const v = JSON.parse(text) as Partial<Position>;
    if (Number.isSafeInteger(v.segment) && Number.isSafeInteger(v.offset) && v.offset! >= 0) return { cursor: { segment: v.segment!, offset: v.offset! } };
  } catch {
    // fall through: reported below
  }
  return { problem: `unreadable content ${JSON.stringify(text.slice(0, 80))}` };
}

/** Fixed size, so an in-place rewrite always covers the previous content (JSON.parse ignores the padding). */
const CURSOR_BYTES = 64;

/**
 * cursor.json. Each ack rewrites it in place with one 64-byte positional write: kill -9 cannot tear a write
 * that small (the syscall completes or never starts), and it costs a fraction of tmp + rename. At start-up and
 * clean shutdown it is replaced atomically (tmp + rename, fsync), the moments a host crash may follow.
 */
export class CursorFile {
  private fd = -1;
  constructor(private readonly dir: string) {}

  write(pos: Position, durable: boolean): void {
    const text = JSON.stringify(pos).padEnd(CURSOR_BYTES, ' ');
    if (!durable && this.fd >= 0) {
      writeSync(this.fd, text, 0);
      return;
    }
    this.close();
    const tmp = join(this.dir, CURSOR_FILE + '.tmp');
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, text);
      if (durable) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, join(this.dir, CURSOR_FILE));
    this.fd = openSync(join(this.dir, CURSOR_FILE), 'r+');
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

export interface ScanResult {
  /** Valid frames from `from` on. */
  events: number;
  /** Bytes of those frames. */
  bytes: number;
  /** End of the last valid frame: reading stops here. */
  end: number;
  /** Set when the bytes after `end` are not a valid frame (torn write, bit rot). */
  corrupt?: { offset: number; reason: string };
  /** Offset of each series definition frame (sample-frame.ts), before `from` included: later samples refer to them. */
  defs: number[];
}

/** Walks and checks every frame of a segment from `from` (start-up replay), noting series definitions from 0. */
export function scanSegment(path: string, from: number): ScanResult {
  const buf = readFileSync(path);
  const defs: number[] = [];
  if (from > buf.length) return { events: 0, bytes: 0, end: from, corrupt: { offset: from, reason: `persisted position beyond the end of the file (${buf.length} bytes)` }, defs };
  // Frames before `from` were delivered; only the series they define are needed. A bad one ends that walk: a sample
  // whose definition is lost is met as corrupt when read.
  for (let at = 0; at < from; ) {
    const f = checkFrame(buf, at, buf.length);
    if (f.kind !== 'ok') break;
    noteDef(buf, at, f.payloadStart, defs);
    at = f.end;
  }
  let at = from;
  let events = 0;
  while (at < buf.length) {
    const f = checkFrame(buf, at, buf.length);
    if (f.kind === 'ok') {
      noteDef(buf, at, f.payloadStart, defs);
      events++;
      at = f.end;
      continue;
    }
    const reason = f.kind === 'corrupt' ? f.reason : `truncated record (${buf.length - at} of ${f.need} bytes)`;
    return { events, bytes: at - from, end: at, corrupt: { offset: at, reason }, defs };
  }
  return { events, bytes: at - from, end: at, defs };
}

function noteDef(buf: Buffer, frameAt: number, payloadStart: number, defs: number[]): void {
  if (buf[payloadStart] === SAMPLE_DEF) defs[sampleRef(buf, payloadStart)] = frameAt;
}
