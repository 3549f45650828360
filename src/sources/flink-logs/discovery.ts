// Finding files: glob expansion, opening a file with its identity, and finding where a known file went
// (renamed to `x.log.1` while the agent was down, or copied away by copytruncate).
import { glob, open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fingerprintMatches, readFingerprint, type FileIdentity } from './file-identity';

export async function expandGlobs(patterns: string[]): Promise<string[]> {
  const out = new Set<string>();
  for (const p of patterns) {
    try {
      for await (const f of glob(p)) out.add(f);
    } catch {
      // An unreadable directory matches nothing; the scan runs again later.
    }
  }
  return [...out].sort();
}

export interface OpenedFile {
  fh: FileHandle;
  id: FileIdentity;
  size: number;
}

/** Opens a regular file and fingerprints it; undefined when it vanished, is no file, or has no full first line yet. */
export async function openWithIdentity(path: string, fpBytes: number, force = false): Promise<OpenedFile | undefined> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new Error('not a file');
    const fp = await readFingerprint(fh, fpBytes, force);
    if (!fp) throw new Error('no first line yet');
    return { fh, id: { dev: st.dev, ino: st.ino, ...fp }, size: st.size };
  } catch {
    await fh.close().catch(() => undefined);
    return undefined;
  }
}

/**
 * A sibling of `path` (same directory, name starting with its base name: `x.log.1`, `x.log.2`, `x.log-2024…`)
 * that starts with the same bytes as `id` and holds at least `minSize` bytes. Same inode first (a rename), then
 * any inode (a copytruncate copy). `skipIno` excludes the file now at `path`.
 */
export async function findSibling(path: string, id: FileIdentity, minSize: number, skipIno?: number): Promise<FileHandle | undefined> {
  const dir = dirname(path);
  const base = basename(path);
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.startsWith(base));
  } catch {
    return undefined;
  }
  const candidates: Array<{ name: string; sameInode: boolean }> = [];
  for (const name of names) {
    const st = await stat(join(dir, name)).catch(() => undefined);
    if (!st?.isFile() || st.size < minSize || st.ino === skipIno) continue;
    candidates.push({ name, sameInode: st.dev === id.dev && st.ino === id.ino });
  }
  candidates.sort((a, b) => Number(b.sameInode) - Number(a.sameInode));
  for (const c of candidates) {
    const fh = await open(join(dir, c.name), 'r').catch(() => undefined);
    if (!fh) continue;
    if (await fingerprintMatches(fh, id).catch(() => false)) return fh;
    await fh.close().catch(() => undefined);
  }
  return undefined;
}

/** Offset of the first line start at or after `size - back` (for `start_at: end` and previews). */
export async function lineStartBefore(fh: FileHandle, size: number, back: number): Promise<number> {
  if (size === 0) return 0;
  const from = Math.max(0, size - back);
  if (from === 0) return 0;
  const buf = Buffer.alloc(size - from);
  const { bytesRead } = await fh.read(buf, 0, buf.length, from);
  const nl = buf.subarray(0, bytesRead).indexOf(10);
  return nl < 0 ? size : from + nl + 1;
}

/** Offset just past the last \n (for `start_at: end`: a line being written is read once it is complete). */
export async function lastLineEnd(fh: FileHandle, size: number): Promise<number> {
  const from = Math.max(0, size - 65536);
  const buf = Buffer.alloc(size - from);
  const { bytesRead } = await fh.read(buf, 0, buf.length, from);
  const nl = buf.subarray(0, bytesRead).lastIndexOf(10);
  return nl < 0 ? from : from + nl + 1;
}
