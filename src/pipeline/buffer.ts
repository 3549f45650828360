// What a SinkRunner holds undelivered records in: the DiskQueue (buffer.type disk) or the MemoryBuffer
// (buffer.type memory). Both hand out batches that must be acknowledged once delivered or dead-lettered.
import type { TelemetryRecord } from '../model';

export interface BufferBatch {
  /** Pass to `ack()` once every record was delivered or dead-lettered. */
  readonly id: number;
  readonly records: TelemetryRecord[];
  /** Encoded size of each record (JSON length), for byte counters and splitting. */
  readonly sizes: number[];
  readonly bytes: number;
}

export interface RecordBuffer {
  /**
   * Takes records. Disk: resolves once they are written to the queue. Memory: resolves once they were delivered
   * or dead-lettered. Waits for space under `when_full: block`; rejects with StoppingError once closed.
   */
  push(records: TelemetryRecord[]): Promise<void>;
  /** Takes up to `maxEvents` unread records (at least one, even if larger than maxBytes); undefined when none. */
  read(maxEvents: number, maxBytes: number): BufferBatch | undefined;
  ack(batchId: number): void;
  /** Resolves when records were pushed (or `signal` aborts). */
  nextPush(signal?: AbortSignal): Promise<void>;
  readonly unreadEvents: number;
  readonly unreadBytes: number;
  /** Records not yet acknowledged (unread + in flight). */
  readonly queuedEvents: number;
  readonly queuedBytes: number;
  /** Bytes the buffer occupies on disk (0 for memory). */
  readonly diskBytes: number;
  /**
   * Resolves once at most about `maxUnreadEvents` records wait unread, or once the reader is not reading at all
   * (the sink is down or retrying: holding records for that case is the buffer's job). Absent when push() itself
   * waits for delivery.
   */
  caughtUp?(maxUnreadEvents: number): Promise<void>;
  /** Stops taking records (blocked and later pushes reject), persists what must be persisted. */
  close(): Promise<void>;
}

/** Thrown to producers once the runner stops: the records were not taken, so the source must not commit. */
export class StoppingError extends Error {
  override name = 'StoppingError';
  readonly code = 'AGT_PIPELINE_STOPPING';
  constructor(sink: string) {
    super(`sink "${sink}" is stopping; the records were not taken and will be read again after restart`);
  }
}

/** Counters a buffer reports into (a slice of SinkMetrics). */
export interface BufferCounters {
  received(events: number, bytes: number): void;
  dropped(events: number, bytes: number): void;
  corrupt(records: number): void;
}
