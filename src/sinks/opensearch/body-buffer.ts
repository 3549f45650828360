// Growing byte buffers the `_bulk` body is written into as UTF-8, line by line, and a small pool of them.
// Concatenating one JS string per batch made a rope the HTTP client had to flatten (a second multi-megabyte
// copy, on V8's heap) before encoding it once more to bytes. Pooled, because a fresh batch-sized buffer per
// request lives through the round trip, so its JS handle reaches V8's old generation and the memory behind it
// (malloc'd, outside the heap) is only freed at the next full GC: tens of MB during a catch-up.
export class BodyBuffer {
  private buf: Buffer;
  private len = 0;

  constructor(expectedBytes: number) {
    this.buf = Buffer.allocUnsafe(Math.max(4096, expectedBytes));
  }

  get capacity(): number {
    return this.buf.length;
  }

  write(text: string): void {
    // UTF-8 needs at most 3 bytes per UTF-16 code unit, so this much room always suffices.
    this.reserve(3 * text.length);
    this.len += this.buf.write(text, this.len, 'utf8');
  }

  newline(): void {
    this.reserve(1);
    this.buf[this.len++] = 0x0a;
  }

  private reserve(bytes: number): void {
    const room = this.len + bytes;
    if (room <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(room, 2 * this.buf.length));
    this.buf.copy(bigger, 0, 0, this.len);
    this.buf = bigger;
  }

  /** The bytes written so far (a view, not a copy: valid until reset). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.len);
  }

  reset(): void {
    this.len = 0;
  }
}

/** Keeps a few released buffers for reuse (one per request in flight is enough); outsized ones are let go. */
export class BodyBufferPool {
  private readonly free: BodyBuffer[] = [];

  constructor(private readonly keep = 4, private readonly maxKeptBytes = 16 << 20) {}

  acquire(expectedBytes: number): BodyBuffer {
    return this.free.pop() ?? new BodyBuffer(expectedBytes);
  }

  /** Only once nothing reads the buffer's bytes any more (the request finished or was aborted). */
  release(b: BodyBuffer): void {
    b.reset();
    if (this.free.length < this.keep && b.capacity <= this.maxKeptBytes) this.free.push(b);
  }
}
