// Decides when the next batch leaves the buffer: once `batch.max_events` or `batch.max_bytes` are waiting, or
// once the first waiting record has waited `batch.timeout` (so a quiet source still ships within the timeout).
import type { BatchOptions } from './sink-options';
import type { BufferBatch, RecordBuffer } from './buffer';
import type { Clock } from './clock';

export class Batcher {
  private since: number | undefined;

  constructor(
    private readonly buffer: RecordBuffer,
    private readonly options: BatchOptions,
    private readonly clock: Clock,
  ) {}

  /**
   * The next batch, or undefined once `signal` aborts, or once `flush` is aborted and nothing is left.
   * After `flush` aborts (shutdown) partial batches leave at once: no waiting for the timeout.
   */
  async next(signal: AbortSignal, flush: AbortSignal): Promise<BufferBatch | undefined> {
    const { max_events: maxEvents, max_bytes: maxBytes, timeout } = this.options;
    const wake = AbortSignal.any([signal, flush]);
    for (;;) {
      if (signal.aborted) return undefined;
      if (this.buffer.unreadEvents === 0) {
        if (flush.aborted) return undefined;
        this.since = undefined;
        await this.buffer.nextPush(wake);
        continue;
      }
      const full = this.buffer.unreadEvents >= maxEvents || this.buffer.unreadBytes >= maxBytes;
      this.since ??= this.clock.now();
      const remaining = this.since + timeout - this.clock.now();
      if (full || flush.aborted || remaining <= 0) {
        this.since = undefined;
        return this.buffer.read(maxEvents, maxBytes);
      }
      const stopWaiting = new AbortController();
      const any = AbortSignal.any([wake, stopWaiting.signal]);
      await Promise.race([this.buffer.nextPush(any), this.clock.sleep(remaining, any)]);
      stopWaiting.abort();
    }
  }
}
