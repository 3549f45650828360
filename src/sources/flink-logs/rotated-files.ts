// Rotated siblings (`x.log.1`, `x.log.2`, …) of the files we follow. Rotation can outrun us: the agent may be down
// (or between two scans) while a file is renamed away, even twice. So every scan looks at the siblings of each
// followed path and sorts each one into:
//   - a file we were reading (saved offset, same identity) → read its rest from that offset;
//   - a file we finished (`done` marker)                     → nothing to do;
//   - a copytruncate copy (first line of a known file)       → nothing new in it (the rest is read via the copy);
//   - a file we never saw, while we were following the path  → read it whole;
//   - history from before we followed the path               → remember it as done, never read.
// Markers of files that disappeared are dropped, so the state stays as small as the rotation window.
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { SourceState } from '../types';
import { openWithIdentity, type OpenedFile } from './discovery';
import { identityKey } from './file-identity';

/** What `ctx.state` keeps per file (key: `file:<dev>:<ino>:<fp>`). */
export interface SavedOffset {
  path: string;
  offset: number;
  fpLen: number;
  /** Read to its end and acknowledged; kept so the rotated file is not read again. */
  done?: boolean;
}

export interface SweepResult {
  /** Files to read to their end (from `offset`), then close. */
  drain: Array<{ path: string; f: OpenedFile; offset: number }>;
  /** Saved files with unread data that are gone (vanished or deleted while we were down). */
  lost: number;
  /** Saved inodes now holding other content. */
  reused: number;
}

const COMPRESSED = /\.(gz|bz2|xz|zst|zip|lz4)$/;

export async function sweepRotated(state: SourceState, followed: string[], live: { keys: Set<string>; inodes: Set<string>; fps: Set<string>; paths: Set<string> }, fpBytes: number): Promise<SweepResult> {
  const res: SweepResult = { drain: [], lost: 0, reused: 0 };
  const saved = new Map<string, SavedOffset>();
  for (const k of state.keys()) if (k.startsWith('file:')) saved.set(k, state.get<SavedOffset>(k)!);
  const savedInodes = new Set([...saved.keys()].map((k) => k.split(':').slice(1, 3).join(':')));
  const fps = new Set([...live.fps, ...[...saved.keys()].map((k) => k.split(':')[3]!)]);
  const bases = new Set([...followed, ...[...saved.values()].map((s) => s.path)]);
  const found = new Set<string>();
  for (const base of bases) {
    const followedBefore = live.paths.has(base) || [...saved.values()].some((s) => s.path === base);
    const prefix = basename(base) + '.';
    const names = await readdir(dirname(base)).catch(() => [] as string[]);
    for (const name of names) {
      if (!name.startsWith(prefix) || COMPRESSED.test(name)) continue;
      const path = join(dirname(base), name);
      const st = await stat(path).catch(() => undefined);
      if (!st?.isFile()) continue;
      const ik = `${st.dev}:${st.ino}`;
      if (live.inodes.has(ik)) continue;
      const marker = savedInodes.has(ik) ? [...saved.entries()].find(([k, v]) => v.done && k.startsWith(`file:${ik}:`)) : undefined;
      if (marker) {
        // A file we finished: no need to open it again on every scan.
        found.add(marker[0]);
        continue;
      }
      const f = await openWithIdentity(path, fpBytes, true);
      if (!f) continue;
      const key = identityKey(f.id);
      const s = saved.get(key);
      if (s) found.add(key);
      if (s && !s.done && !live.keys.has(key)) {
        // Under the name we followed it by, so replayed records are identical to the ones sent before.
        res.drain.push({ path: s.path, f, offset: Math.min(s.offset, f.size) });
        continue;
      }
      await f.fh.close();
      if (s) continue;
      if (fps.has(f.id.fp) || !followedBefore) {
        // A copy of a file we know, or history from before we followed `base`: remember, never read.
        await state.set(key, { path, offset: f.size, fpLen: f.id.fpLen, done: true } satisfies SavedOffset);
        found.add(key);
        continue;
      }
      // Rotated away before we ever opened it: read it whole.
      const again = await openWithIdentity(path, fpBytes, true);
      // Named as the followed file it was written as, like every other record of that file.
      if (again) res.drain.push({ path: base, f: again, offset: 0 });
    }
  }
  for (const [key, s] of saved) {
    if (found.has(key) || live.keys.has(key)) continue;
    // Not at its name any more nor among the siblings. A rename into another globbed name is live (kept).
    const ik = key.split(':').slice(1, 3).join(':');
    if (!s.done) {
      if (live.inodes.has(ik)) res.reused++;
      else res.lost++;
    }
    await state.delete(key);
  }
  return res;
}
