// A level-triggered wake-up: waiters re-check their condition after every `notify()`. Used for "data arrived"
// (the batcher) and "space freed" (producers blocked by `when_full: block`).

export class Notifier {
  private waiters: Array<() => void> = [];

  notify(): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }

  /** Resolves at the next notify() or when `signal` aborts (never rejects). */
  next(signal?: AbortSignal): Promise<void> {
    return this.wait(signal, undefined);
  }

  /** Resolves at the next notify(), after `ms`, or when `signal` aborts, whichever comes first (never rejects). */
  nextWithin(ms: number, signal?: AbortSignal): Promise<void> {
    return this.wait(signal, ms);
  }

  private wait(signal: AbortSignal | undefined, ms: number | undefined): Promise<void> {
    return new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const wake = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', wake);
        this.waiters = this.waiters.filter((w) => w !== wake);
        resolve();
      };
      const timer = ms === undefined ? undefined : setTimeout(wake, ms);
      this.waiters.push(wake);
      signal?.addEventListener('abort', wake, { once: true });
    });
  }
}
