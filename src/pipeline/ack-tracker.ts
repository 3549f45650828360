// In-order acknowledgement over out-of-order completions. Batches are read from the queue in order, but with
// request.concurrency > 1 they finish in any order; the persisted read position may only move over a prefix of
// batches that are all done, because everything behind it is forgotten after a restart.

interface Entry<P> {
  id: number;
  end: P;
  events: number;
  bytes: number;
  done: boolean;
}

export interface Acked<P> {
  events: number;
  bytes: number;
  /** New durable position when the done prefix grew; undefined when an earlier batch is still in flight. */
  advancedTo?: P;
}

export class AckTracker<P> {
  private readonly entries: Array<Entry<P>> = [];
  private head = 0;
  private readonly byId = new Map<number, Entry<P>>();
  private nextId = 1;

  /** Registers the next batch read, ending at `end`; `done` for a range that needs no delivery (dropped). */
  add(end: P, events: number, bytes: number, done = false): number {
    const e: Entry<P> = { id: this.nextId++, end, events, bytes, done };
    this.entries.push(e);
    if (!done) this.byId.set(e.id, e);
    return e.id;
  }

  get inFlight(): number {
    return this.byId.size;
  }

  ack(id: number): Acked<P> {
    const e = this.byId.get(id);
    if (!e) throw new Error(`batch ${id} acknowledged twice or never read`);
    this.byId.delete(id);
    e.done = true;
    const advancedTo = this.popDone();
    return advancedTo === undefined ? { events: e.events, bytes: e.bytes } : { events: e.events, bytes: e.bytes, advancedTo };
  }

  /** Pops the done prefix; returns the end of the last popped entry. */
  popDone(): P | undefined {
    let last: P | undefined;
    while (this.head < this.entries.length && this.entries[this.head]!.done) last = this.entries[this.head++]!.end;
    // Compact now and then so the array does not grow without bound.
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
    return last;
  }
}
