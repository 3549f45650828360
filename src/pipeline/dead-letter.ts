// Records a sink will never take (rejected, too large, or retries gave up) go to an NDJSON file rather than
// vanish: `<dataDir>/dead-letter/<sink>.ndjson`, one `{at, sink, reason, record}` per line, so an operator can
// read why and replay them. A record is acknowledged only after its line was written.
//
// The files are bounded (`dead_letter.max_bytes`), because a sink that rejects everything at thousands of
// records per second would otherwise fill the disk of the Flink node it watches. Like a Fluent Bit / Vector
// file rotation, two generations keep the newest records:
//
//   <sink>.ndjson     written now, up to max_bytes / 2
//   <sink>.ndjson.1   the previous generation, up to max_bytes / 2; replaced (its records counted as discarded)
//                     when the current file would pass its half and is renamed onto it
import { createReadStream } from 'node:fs';
import { appendFile, lstat, mkdir, rename, truncate } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { TelemetryRecord } from '../model';

export interface DeadLetterFileOptions {
  /** `<dataDir>/dead-letter/<sink>.ndjson`; the previous generation is this path + `.1`. */
  path: string;
  sink: string;
  /** Bound of both generations together, in bytes (`dead_letter.max_bytes`). */
  maxBytes: number;
  logger: Logger;
  /** Called with the number of records in a previous generation a rotation replaced. */
  discarded(records: number): void;
  now?: () => number;
}

/** What is on disk, kept in memory so a write never has to stat or read the files. */
interface Generations {
  /** Bytes and lines (= records) of the current file. */
  bytes: number;
  lines: number;
  /** Lines of `.1`; undefined when there is none. */
  olderLines: number | undefined;
}

export class DeadLetterFile {
  readonly path: string;
  readonly olderPath: string;
  private chain: Promise<void> = Promise.resolve();
  private generations?: Generations;

  constructor(private readonly o: DeadLetterFileOptions) {
    this.path = o.path;
    this.olderPath = `${o.path}.1`;
  }

  /** Appends one line per record; `reasons` is one reason for all, or one per record. Rejects on I/O error. */
  write(records: TelemetryRecord[], reasons: string | string[]): Promise<void> {
    const at = new Date((this.o.now ?? Date.now)()).toISOString();
    const text = records
      .map((record, i) => JSON.stringify({ at, sink: this.o.sink, reason: typeof reasons === 'string' ? reasons : reasons[i], record }) + '\n')
      .join('');
    // Serialized because two concurrent deliveries must not interleave partial lines, and because the sizes
    // kept in memory are only right if one write (and rotation) at a time changes the files.
    const next = this.chain.then(async () => {
      try {
        const g = (this.generations ??= await this.measure());
        const bytes = Buffer.byteLength(text);
        // A write larger than a whole generation still goes in (alone, after rotating): losing the records
        // being dead-lettered now to keep older ones would invert "newest kept".
        if (g.bytes > 0 && g.bytes + bytes > this.o.maxBytes / 2) await this.rotate(g);
        try {
          await appendFile(this.path, text);
        } catch (err) {
          // A write cut short (disk full) left part of these lines; the caller retries them all. Cut the file
          // back to where this write began, so the retry neither follows a torn line nor repeats records.
          await truncate(this.path, g.bytes).catch(() => undefined);
          throw err;
        }
        g.bytes += bytes;
        g.lines += records.length;
      } catch (err) {
        // After a failed write or rotation the files may not be what memory says (a torn line, a rename that
        // happened): measure them again on the next write, which also retries a missing directory.
        this.generations = undefined;
        throw err;
      }
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Renames the current file onto `.1`, counting and logging the records of the `.1` it replaces. */
  private async rotate(g: Generations): Promise<void> {
    // Checked here, not trusted from memory: an operator may have deleted `.1` after reading it.
    const hadOlder = await exists(this.olderPath);
    let replaced: number | undefined;
    try {
      await rename(this.path, this.olderPath);
      replaced = hadOlder ? (g.olderLines ?? 0) : undefined;
      g.olderLines = g.lines;
    } catch (err) {
      // The current file was deleted (by an operator) since the last write: nothing to rotate, `.1` stays.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    g.bytes = 0;
    g.lines = 0;
    if (replaced === undefined) return;
    this.o.discarded(replaced);
    this.o.logger.warn(
      { sink: this.o.sink, file: this.olderPath, discarded: replaced, maxBytes: this.o.maxBytes },
      `sink ${this.o.sink}: dead-letter files reached dead_letter.max_bytes (${this.o.maxBytes} bytes): ${this.path} rotated onto ${this.olderPath}, discarding the ${replaced} records the previous ${this.olderPath} held`,
    );
  }

  /**
   * Sizes and line counts of files a previous run left, read once before the first write. Reading both is
   * cheap because this code keeps each at most max_bytes / 2 (a file from a version without the bound, or
   * written under a larger bound, is read once too, then rotated away by the first write); without the count
   * the records of the first `.1` replaced would be discarded uncounted.
   */
  private async measure(): Promise<Generations> {
    await mkdir(dirname(this.path), { recursive: true });
    const current = await countLines(this.path);
    const older = await countLines(this.olderPath);
    return { bytes: current?.bytes ?? 0, lines: current?.lines ?? 0, olderLines: older?.lines };
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** Bytes and newlines of a file, streamed; undefined when it does not exist. */
async function countLines(path: string): Promise<{ bytes: number; lines: number } | undefined> {
  let bytes = 0;
  let lines = 0;
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return { bytes, lines };
}
