// An append-only file rotated by size, written one whole chunk of lines at a time. A chunk is never left half
// written: a failed write is cut back off, and at open a torn last line (kill -9 mid-write) is cut off, because
// the runner resends the records of a write that did not complete.
import { mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

export class RotatingFile {
  private fh?: FileHandle;
  private size = 0;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly maxFileSize: number,
    private readonly maxFiles: number,
  ) {}

  /** Appends `text` (whole lines); serialized, so concurrent sends never interleave. */
  append(text: string): Promise<void> {
    const next = this.chain.then(() => this.write(Buffer.from(text)));
    this.chain = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    await this.chain;
    await this.fh?.close();
    this.fh = undefined;
  }

  private async write(buf: Buffer): Promise<void> {
    const fh = this.fh ?? (await this.open());
    if (this.size > 0 && this.size + buf.length > this.maxFileSize) return this.rotate().then(() => this.write(buf));
    const before = this.size;
    try {
      await fh.write(buf);
      this.size += buf.length;
    } catch (err) {
      // Cut a partial write back off so the retried chunk does not follow half a line.
      await fh.truncate(before).catch(() => undefined);
      throw err;
    }
  }

  private async open(): Promise<FileHandle> {
    await mkdir(dirname(this.path), { recursive: true });
    const fh = await open(this.path, 'a+');
    this.size = (await fh.stat()).size;
    const end = await lastLineEnd(fh, this.size);
    if (end < this.size) {
      await fh.truncate(end);
      this.size = end;
    }
    this.fh = fh;
    return fh;
  }

  private async rotate(): Promise<void> {
    await this.fh?.close();
    this.fh = undefined;
    if (this.maxFiles === 1) await rm(this.path, { force: true });
    else {
      await rm(`${this.path}.${this.maxFiles - 1}`, { force: true });
      for (let i = this.maxFiles - 2; i >= 1; i--) await renameIfExists(`${this.path}.${i}`, `${this.path}.${i + 1}`);
      await rename(this.path, `${this.path}.1`);
    }
    this.size = 0;
  }
}

/** Offset just after the last '\n' (0 when there is none): everything after it is a torn line. */
async function lastLineEnd(fh: FileHandle, size: number): Promise<number> {
  const chunk = Buffer.allocUnsafe(64 * 1024);
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - chunk.length);
    const { bytesRead } = await fh.read(chunk, 0, end - start, start);
    const nl = chunk.subarray(0, bytesRead).lastIndexOf(0x0a);
    if (nl >= 0) return start + nl + 1;
    end = start;
  }
  return 0;
}

async function renameIfExists(from: string, to: string): Promise<void> {
  try {
    await stat(from);
  } catch {
    return;
  }
  await rename(from, to);
}
