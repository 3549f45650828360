// The tailer's idle wait: a poll timer that a file-system event (fs.watch on the followed directories) may cut
// short. The watch is only a hint — it misses events on some file systems (NFS, overlay) — so polling and the
// periodic rescan never depend on it.
import { watch, type FSWatcher } from 'node:fs';
import { dirname, join } from 'node:path';

export class Wakeup {
  private wake: (() => void) | undefined;
  private readonly watchers: FSWatcher[] = [];

  /**
   * `onRename`: a file was created, renamed or deleted in one of the directories (rescan soon).
   * `isFollowed`: whether a path is a file being read. Writes to other files of the directory do not wake the
   * reader: Flink's log folder also holds the `.out` files, which a job's print sink writes many times a second,
   * and waking on those cost about 1% of a core at idle (measured) for nothing.
   */
  constructor(patterns: string[], onRename: () => void, isFollowed: (path: string) => boolean) {
    for (const dir of new Set(patterns.map((p) => dirname(p)))) {
      try {
        const w = watch(dir, { persistent: false }, (event, filename) => {
          if (event === 'rename') onRename();
          else if (!filename || !isFollowed(join(dir, filename))) return;
          this.wake?.();
        });
        w.on('error', () => undefined);
        this.watchers.push(w);
      } catch {
        // No such directory yet, or a glob in the directory part: polling covers it.
      }
    }
  }

  /** Resolves after `ms`, on a file-system event, or when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
      signal.addEventListener('abort', done, { once: true });
    });
  }

  close(): void {
    for (const w of this.watchers) w.close();
  }
}
