// SourceStateStore: a source's durable key/value state (file offsets, journald cursors) as one JSON file,
// `<dataDir>/state/<source>.json`. Written whole, atomically (tmp + rename), one write at a time: a crash leaves
// either the old or the new file, never half of one. Sources call set() only after emit() resolved.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { SourceState } from '../sources/types';
import { sourceStatePath } from './paths';

export class SourceStateStore implements SourceState {
  private readonly values = new Map<string, unknown>();
  private writing: Promise<void> = Promise.resolve();
  /** The write that has not started yet: later set() calls join it instead of queueing one write each. */
  private queued?: Promise<void>;

  private constructor(readonly path: string) {}

  /**
   * Loads `<dataDir>/state/<source>.json` (empty when absent). An unreadable file is moved aside to
   * `<file>.corrupt-<time>` with a warning, and the source starts from its configured beginning: records come
   * again (the same ids, so sinks keep them once) rather than the agent refusing to start.
   */
  static async open(dataDir: string, source: string, logger?: Logger): Promise<SourceStateStore> {
    const store = new SourceStateStore(sourceStatePath(dataDir, source));
    let text: string | undefined;
    try {
      text = await readFile(store.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (text !== undefined) {
      try {
        const obj = JSON.parse(text) as unknown;
        if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new Error('not a JSON object');
        for (const [k, v] of Object.entries(obj)) store.values.set(k, v);
      } catch (err) {
        const aside = `${store.path}.corrupt-${Date.now()}`;
        await rename(store.path, aside);
        logger?.warn({ source, file: store.path, movedTo: aside }, `source state ${store.path} is unreadable (${(err as Error).message}); moved to ${aside}, starting without saved positions`);
      }
    }
    return store;
  }

  get<T>(key: string): T | undefined {
    return this.values.get(key) as T | undefined;
  }

  keys(): string[] {
    return [...this.values.keys()];
  }

  set(key: string, value: unknown): Promise<void> {
    this.values.set(key, value);
    return this.schedule();
  }

  delete(key: string): Promise<void> {
    this.values.delete(key);
    return this.schedule();
  }

  private schedule(): Promise<void> {
    if (this.queued) return this.queued;
    const q = this.writing.catch(() => undefined).then(() => {
      this.queued = undefined; // from here on, changes need another write
      return this.write();
    });
    this.queued = q;
    this.writing = q;
    return q;
  }

  private async write(): Promise<void> {
    const text = JSON.stringify(Object.fromEntries(this.values));
    const tmp = `${this.path}.tmp`;
    await mkdir(dirname(this.path), { recursive: true });
    await writeFile(tmp, text);
    await rename(tmp, this.path);
  }
}
