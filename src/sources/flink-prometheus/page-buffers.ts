// The two buffers one target's pages alternate between.
//
// ScrapeMemo compares each page with the previous one, so two pages of a target are alive at once: the one being
// read and the one before it. Collected the usual way (chunks, then Buffer.concat), every page is a new ~1 MB
// allocation outside V8's heap that lives through a round, so the scavenger promotes its wrapper and its memory
// comes back only at the next full collection: at 4 targets scraped every second that was ~4 MB/s of external
// memory waiting for a mark-compact, up to ~50 MB at once, and glibc rarely returned the freed blocks to the system.
// Here each page is written into whichever of two long-lived buffers does not hold the page the memo keeps, so in
// a steady state a scrape allocates nothing that outlives the socket's own chunks.
import type { BodyCollector } from './http-get';

/** Below this a buffer is never shrunk: reallocating small pages would gain nothing. */
const SHRINK_FLOOR = 1 << 20;
const MIN_CAPACITY = 64 * 1024;

export class PageBuffers implements BodyCollector {
  // allocUnsafeSlow: never a slice of Node's shared pool, so the buffer's ArrayBuffer identifies it (begin()).
  private readonly bufs: [Buffer, Buffer] = [Buffer.allocUnsafeSlow(0), Buffer.allocUnsafeSlow(0)];
  private cur = 0;
  private len = 0;

  /**
   * Starts a page in the buffer that does not hold `keep` (the memo's previous page, which the next read compares
   * against). A buffer more than 4× the size of `keep` is dropped first, so a page that was once much larger
   * (a job with many more tasks, since cancelled) does not hold its memory forever.
   */
  begin(keep: Buffer): this {
    this.cur = keep.buffer === this.bufs[0].buffer ? 1 : 0;
    this.len = 0;
    const buf = this.bufs[this.cur];
    if (buf.length > SHRINK_FLOOR && buf.length > 4 * keep.length) this.bufs[this.cur] = Buffer.allocUnsafeSlow(0);
    return this;
  }

  start(lengthHint: number): void {
    this.reserve(lengthHint);
  }

  write(chunk: Buffer): void {
    this.reserve(this.len + chunk.length);
    this.len += chunk.copy(this.bufs[this.cur], this.len);
  }

  end(): Buffer {
    return this.bufs[this.cur].subarray(0, this.len);
  }

  /** Grows the current buffer to hold `size` bytes, keeping what it holds; doubles so a growing page copies O(n). */
  private reserve(size: number): void {
    const buf = this.bufs[this.cur];
    if (size <= buf.length) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(size, 2 * buf.length, MIN_CAPACITY));
    buf.copy(grown, 0, 0, this.len);
    this.bufs[this.cur] = grown;
  }
}
