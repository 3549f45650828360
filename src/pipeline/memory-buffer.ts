// buffer.type memory: records wait in RAM, and the producer's push() resolves only once they were delivered or
// dead-lettered (end-to-end ack), so a crash loses nothing the source committed: it reads them again.
// Bounded by `buffer.max_size` bytes (JSON length) with the same `when_full` policies as the DiskQueue.
import type { TelemetryRecord } from '../model';
import type { BufferBatch, BufferCounters, RecordBuffer } from './buffer';
import { StoppingError } from './buffer';
import type { WhenFull } from './disk-queue';
import { Notifier } from './notifier';
import { recordJson } from './record-json';

interface Ticket {
  remaining: number;
  resolve(): void;
  reject(err: Error): void;
}

interface Entry {
  record: TelemetryRecord;
  size: number;
  ticket: Ticket;
}

export interface MemoryBufferOptions {
  sink: string;
  maxBytes: number;
  whenFull: WhenFull;
  counters: BufferCounters;
}

export class MemoryBuffer implements RecordBuffer {
  private unread: Entry[] = [];
  private head = 0;
  private readonly inflight = new Map<number, Entry[]>();
  private readonly tickets = new Set<Ticket>();
  private nextId = 1;
  private unreadB = 0;
  private inflightE = 0;
  private inflightB = 0;
  private closed = false;
  private readonly closing = new AbortController();
  private readonly pushed = new Notifier();
  private readonly freed = new Notifier();

  constructor(private readonly o: MemoryBufferOptions) {}

  get unreadEvents(): number { return this.unread.length - this.head; }
  get unreadBytes(): number { return this.unreadB; }
  get queuedEvents(): number { return this.unreadEvents + this.inflightE; }
  get queuedBytes(): number { return this.unreadB + this.inflightB; }
  get diskBytes(): number { return 0; }

  nextPush(signal?: AbortSignal): Promise<void> {
    return this.pushed.next(signal);
  }

  push(records: TelemetryRecord[]): Promise<void> {
    if (this.closed) return Promise.reject(new StoppingError(this.o.sink));
    if (records.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const ticket: Ticket = { remaining: records.length, resolve, reject };
      this.tickets.add(ticket);
      const entries = records.map((record) => ({ record, size: Buffer.byteLength(recordJson(record)), ticket }));
      this.o.counters.received(entries.length, entries.reduce((a, e) => a + e.size, 0));
      void this.admit(entries, ticket);
    });
  }

  private async admit(entries: Entry[], ticket: Ticket): Promise<void> {
    let i = 0;
    while (i < entries.length) {
      if (this.closed) return; // close() rejected the ticket
      const e = entries[i]!;
      // A record larger than the whole bound still goes in when the buffer is empty, or it could never pass.
      if (this.queuedBytes + e.size <= this.o.maxBytes || this.queuedEvents === 0) {
        this.unread.push(e);
        this.unreadB += e.size;
        i++;
        if (i === entries.length || i % 256 === 0) this.pushed.notify();
        continue;
      }
      if (this.o.whenFull === 'block') await this.freed.next(this.closing.signal);
      else if (this.o.whenFull === 'drop_newest' || !this.dropOldest(e.size)) {
        const rest = entries.slice(i);
        this.o.counters.dropped(rest.length, rest.reduce((a, x) => a + x.size, 0));
        this.settle(ticket, rest.length);
        return;
      }
    }
  }

  private dropOldest(need: number): boolean {
    while (this.queuedBytes + need > this.o.maxBytes) {
      if (this.unreadEvents === 0) return false;
      const e = this.unread[this.head++]!;
      this.unreadB -= e.size;
      this.o.counters.dropped(1, e.size);
      this.settle(e.ticket, 1);
    }
    this.compact();
    return true;
  }

  read(maxEvents: number, maxBytes: number): BufferBatch | undefined {
    if (this.unreadEvents === 0) return undefined;
    const taken: Entry[] = [];
    let bytes = 0;
    while (this.head < this.unread.length && taken.length < maxEvents) {
      const e = this.unread[this.head]!;
      if (taken.length > 0 && bytes + e.size > maxBytes) break;
      taken.push(e);
      bytes += e.size;
      this.head++;
    }
    this.compact();
    this.unreadB -= bytes;
    this.inflightE += taken.length;
    this.inflightB += bytes;
    const id = this.nextId++;
    this.inflight.set(id, taken);
    return { id, records: taken.map((e) => e.record), sizes: taken.map((e) => e.size), bytes };
  }

  ack(batchId: number): void {
    const taken = this.inflight.get(batchId);
    if (!taken) throw new Error(`batch ${batchId} acknowledged twice or never read`);
    this.inflight.delete(batchId);
    for (const e of taken) {
      this.inflightE--;
      this.inflightB -= e.size;
      this.settle(e.ticket, 1);
    }
    this.freed.notify();
  }

  private settle(ticket: Ticket, n: number): void {
    ticket.remaining -= n;
    if (ticket.remaining === 0) {
      this.tickets.delete(ticket);
      ticket.resolve();
    }
  }

  private compact(): void {
    if (this.head > 4096 && this.head * 2 > this.unread.length) {
      this.unread = this.unread.slice(this.head);
      this.head = 0;
    }
  }

  /** Records not delivered by now are lost with the process: their producers are told (reject), so they do not commit. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort();
    const err = new StoppingError(this.o.sink);
    for (const t of this.tickets) t.reject(err);
    this.tickets.clear();
  }
}
