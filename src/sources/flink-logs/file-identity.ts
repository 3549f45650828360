// A file is (device, inode, fingerprint). The inode alone is not enough: a deleted file's inode is reused by the
// next file, and copytruncate keeps the inode while the content starts over. The fingerprint hashes the first
// line, capped at N bytes, so it never changes once a record has been read from the file (record ids contain it).
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';

export interface FileIdentity {
  dev: number;
  ino: number;
  /** 16 hex chars of sha1 over the first `fpLen` bytes. */
  fp: string;
  fpLen: number;
}

/** The state key of a file's committed offset. */
export const identityKey = (id: FileIdentity) => `file:${id.dev}:${id.ino}:${id.fp}`;

export function fingerprintOf(bytes: Buffer, n: number, maxBytes: number, force: boolean): { fp: string; fpLen: number } | undefined {
  const nl = bytes.subarray(0, Math.min(n, maxBytes)).indexOf(10);
  const fpLen = nl >= 0 ? nl + 1 : n >= maxBytes || (force && n > 0) ? Math.min(n, maxBytes) : 0;
  if (fpLen === 0) return undefined;
  return { fp: createHash('sha1').update(bytes.subarray(0, fpLen)).digest('hex').slice(0, 16), fpLen };
}

/**
 * Fingerprint of an open file: undefined while its first line is incomplete and shorter than `maxBytes` (nothing
 * can be read from it yet anyway). `force` takes whatever is there (a rotated file that will not grow).
 */
export async function readFingerprint(fh: FileHandle, maxBytes: number, force = false): Promise<{ fp: string; fpLen: number } | undefined> {
  const buf = Buffer.alloc(maxBytes);
  const { bytesRead } = await fh.read(buf, 0, maxBytes, 0);
  return fingerprintOf(buf, bytesRead, maxBytes, force);
}

/** Does the file still start with the bytes the fingerprint was taken from? */
export async function fingerprintMatches(fh: FileHandle, id: FileIdentity): Promise<boolean> {
  const buf = Buffer.alloc(id.fpLen);
  const { bytesRead } = await fh.read(buf, 0, id.fpLen, 0);
  if (bytesRead < id.fpLen) return false;
  return createHash('sha1').update(buf).digest('hex').slice(0, 16) === id.fp;
}
