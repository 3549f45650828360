// Files of one DiskQueue directory: numbered segment files (`0000000000000042.seg`) and `cursor.json`, the
// persisted read position (first record not yet acknowledged). Plain synchronous I/O: these run at start-up,
// at shutdown and once per acknowledged batch, where the page cache answers in microseconds.
import { closeSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { checkFrame } from './frame';

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

/** Atomic replace (tmp + rename) because a torn cursor would lose or replay the whole queue. */
export function writeCursor(dir: string, pos: Position, sync: boolean): void {
  const tmp = join(dir, CURSOR_FILE + '.tmp');
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, JSON.stringify(pos));
    if (sync) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, join(dir, CURSOR_FILE));
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
}

/** Walks and checks every frame of a segment from `from` (start-up replay). */
export function scanSegment(path: string, from: number): ScanResult {
  const buf = readFileSync(path);
  if (from > buf.length) return { events: 0, bytes: 0, end: from, corrupt: { offset: from, reason: `persisted position beyond the end of the file (${buf.length} bytes)` } };
  let at = from;
  let events = 0;
  while (at < buf.length) {
    const f = checkFrame(buf, at, buf.length);
    if (f.kind === 'ok') {
      events++;
      at = f.end;
      continue;
    }
    const reason = f.kind === 'corrupt' ? f.reason : `truncated record (${buf.length - at} of ${f.need} bytes)`;
    return { events, bytes: at - from, end: at, corrupt: { offset: at, reason } };
  }
  return { events, bytes: at - from, end: at };
}
