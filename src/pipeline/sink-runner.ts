// SinkRunner: one per sink, the same for every sink type. It takes records from the Router into a buffer (disk
// queue or memory), cuts batches, keeps at most `request.concurrency` requests in flight (plus the sink's
// `readyAhead` batches being encoded for the next free connection), and acknowledges a batch only after the sink
// delivered or dead-lettered every record of it (see delivery.ts for the retry loop).
//
//   enqueue() ─► accepts() filter ─► RecordBuffer ─► Batcher ─► deliver() ×(concurrency + readyAhead) ─► sink.send()
//        ▲ resolves when durable          ▲ ack(batch) after delivered / dead-lettered ◄──┘
import type { Logger } from 'pino';
import type { ComponentStatus } from '../component';
import type { TelemetryRecord } from '../model';
import type { Sink } from '../sinks/types';
import { backoffDelay } from './backoff';
import { Batcher } from './batcher';
import type { BufferBatch, RecordBuffer } from './buffer';
import { StoppingError } from './buffer';
import { systemClock, type Clock } from './clock';
import { DeadLetterFile } from './dead-letter';
import { deliver, type DeliveryContext } from './delivery';
import { DiskQueue } from './disk-queue';
import { MemoryBuffer } from './memory-buffer';
import type { PipelineMetrics, SinkMetrics } from './metrics';
import { deadLetterPath, queueDir } from './paths';
import type { SinkCommonConfig } from './sink-options';
import { tally, type Tally } from './tally';

/** Batches a runner keeps in sink.send() at once: `request.concurrency` on the wire plus the sink's readyAhead. */
export function sendsOpen(sink: Sink, concurrency: number): number {
  return concurrency + (sink.readyAhead ?? 0);
}

export interface SinkRunnerOptions {
  /** The sink's name in the config (`sinks.<name>`): label, queue folder, dead-letter file. */
  name: string;
  sink: Sink;
  /** The sink's parsed config; only `batch`, `buffer`, `retry`, `request`, `dead_letter` are read. */
  config: Pick<SinkCommonConfig, 'batch' | 'buffer' | 'retry' | 'request' | 'dead_letter'>;
  /** The agent's data directory: `queues/<name>/` and `dead-letter/<name>.ndjson(.1)` live under it. */
  dataDir: string;
  logger: Logger;
  /** `PipelineMetrics.for(registry)`. */
  metrics: PipelineMetrics;
  /** When given, failures and recoveries are reported to /status through it as well. */
  status?: ComponentStatus;
  /** Injected in tests; defaults to real time. */
  clock?: Clock;
}

export type SinkRunnerState = 'starting' | 'ok' | 'retrying' | 'failing';

export interface SinkRunnerStatus {
  name: string;
  state: SinkRunnerState;
  lastError?: string;
  lastErrorAt?: number;
  lastSuccessAt?: number;
  queuedEvents: number;
  queuedBytes: number;
  diskBytes: number;
  /** Events since start: received = sent + deadLettered + dropped + still queued (+ corrupt losses). */
  counters: Tally;
}

/** Failures in a row after which the state reads `failing` rather than `retrying`. */
const FAILING_AFTER = 5;

export class SinkRunner {
  readonly name: string;
  private buffer?: RecordBuffer;
  private readonly metrics: SinkMetrics;
  private readonly counts: Tally;
  private readonly clock: Clock;
  private readonly stopRetries = new AbortController();
  private readonly abortSends = new AbortController();
  private readonly endLoop = new AbortController();
  private readonly deadLetter: DeadLetterFile;
  private opened?: Promise<void>;
  private loop?: Promise<void>;
  private stopping = false;
  private stopped?: Promise<void>;
  private interrupted = false;
  private state: SinkRunnerState = 'starting';
  private failures = 0;
  private lastError?: string;
  private lastErrorAt?: number;
  private lastSuccessAt?: number;
  private reported = false;
  private readonly probe = () => ({ queuedEvents: this.buffer?.queuedEvents ?? 0, queuedBytes: this.buffer?.queuedBytes ?? 0, diskBytes: this.buffer?.diskBytes ?? 0 });

  constructor(private readonly o: SinkRunnerOptions) {
    this.name = o.name;
    this.clock = o.clock ?? systemClock;
    const t = tally(o.metrics.forSink(o.name, this.probe));
    this.metrics = t.metrics;
    this.counts = t.counts;
    this.deadLetter = new DeadLetterFile({
      path: deadLetterPath(o.dataDir, o.name),
      sink: o.name,
      maxBytes: o.config.dead_letter.max_bytes,
      logger: o.logger,
      discarded: (n) => this.metrics.deadLetterDiscarded(n),
      now: () => this.clock.now(),
    });
  }

  /** Opens the buffer (a disk queue replays what a previous run left) and starts sending. Idempotent. */
  start(): Promise<void> {
    this.opened ??= Promise.resolve().then(() => {
      const { buffer } = this.o.config;
      const common = { sink: this.name, maxBytes: buffer.max_size, whenFull: buffer.when_full, counters: this.metrics };
      this.buffer = buffer.type === 'disk' ? DiskQueue.open({ ...common, dir: queueDir(this.o.dataDir, this.name), logger: this.o.logger }) : new MemoryBuffer(common);
      if (this.buffer.queuedEvents > 0) this.o.logger.info({ sink: this.name, events: this.buffer.queuedEvents }, `sink ${this.name}: replaying ${this.buffer.queuedEvents} records left in the disk queue`);
      this.loop = this.run();
    });
    return this.opened;
  }

  /**
   * Takes records for this sink (those `sink.accepts()`). Resolves once durable: written to the disk queue, or
   * (memory buffer) delivered or dead-lettered. Rejects with StoppingError once stop() began: do not commit.
   */
  async enqueue(records: TelemetryRecord[]): Promise<void> {
    if (this.stopping) throw new StoppingError(this.name);
    await this.start();
    const accepts = (r: TelemetryRecord) => this.o.sink.accepts(r);
    // Usually a sink takes the whole batch: no copy of a scrape's thousands of records then.
    const mine = records.every(accepts) ? records : records.filter(accepts);
    if (mine.length > 0) await this.buffer!.push(mine);
  }

  /**
   * Resolves when this sink's reader is close behind its buffer's head, or not reading (see Router.emit). Close
   * is two batches: one full batch is ready when a request finishes, the next is filling.
   */
  caughtUp(): Promise<void> {
    return (!this.stopping && this.buffer?.caughtUp?.(2 * this.o.config.batch.max_events)) || Promise.resolve();
  }

  status(): SinkRunnerStatus {
    return {
      name: this.name,
      state: this.state,
      ...(this.lastError !== undefined && { lastError: this.lastError, lastErrorAt: this.lastErrorAt }),
      ...(this.lastSuccessAt !== undefined && { lastSuccessAt: this.lastSuccessAt }),
      queuedEvents: this.buffer?.queuedEvents ?? 0,
      queuedBytes: this.buffer?.queuedBytes ?? 0,
      diskBytes: this.buffer?.diskBytes ?? 0,
      counters: { ...this.counts },
    };
  }

  /**
   * Stops accepting, stops retry waits, sends what it can within `graceMs` (no retries), then cancels requests
   * still running. What was not delivered stays in the disk queue (memory buffer: its producers are rejected).
   */
  stop(graceMs: number): Promise<void> {
    this.stopped ??= (async () => {
      this.stopping = true;
      // Because a backoff sleep must not hold the shutdown: retries stop first, then the buffer drains.
      this.stopRetries.abort();
      const grace = setTimeout(() => {
        this.abortSends.abort();
        this.endLoop.abort();
      }, graceMs);
      try {
        // A buffer that failed to open (start() rejected) has nothing to flush.
        if (this.opened && (await this.opened.then(() => true, () => false))) await this.loop;
      } finally {
        clearTimeout(grace);
      }
      await this.buffer?.close();
      await this.o.sink.close?.();
      this.o.metrics.removeSink(this.name, this.probe);
    })();
    return this.stopped;
  }

  private async run(): Promise<void> {
    if (!(await this.startSink())) return;
    const batcher = new Batcher(this.buffer!, this.o.config.batch, this.clock);
    const inFlight = new Set<Promise<void>>();
    const sends = sendsOpen(this.o.sink, this.o.config.request.concurrency);
    for (;;) {
      while (inFlight.size >= sends) await Promise.race(inFlight);
      // During shutdown one interrupted batch means the sink is not taking records now: stop trying.
      if (this.interrupted) break;
      let batch: BufferBatch | undefined;
      try {
        batch = await batcher.next(this.endLoop.signal, this.stopRetries.signal);
      } catch (err) {
        // An I/O error reading the queue: the records stay on disk; report, wait, try again (never crash).
        const reason = `reading the buffer failed: ${err instanceof Error ? err.message : String(err)}`;
        this.outcome(false, reason);
        this.o.logger.error({ sink: this.name, reason }, `sink ${this.name}: ${reason}`);
        if (this.stopRetries.signal.aborted) break;
        await this.clock.sleep(this.o.config.retry.max_backoff, this.stopRetries.signal);
        continue;
      }
      if (!batch) break;
      const p: Promise<void> = this.send(batch).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await Promise.allSettled(inFlight);
  }

  private async send(batch: BufferBatch): Promise<void> {
    let ok = false;
    try {
      ok = await deliver(this.deliveryContext, batch.records, batch.sizes);
    } catch (err) {
      // A bug, not a sink answer: keep the batch unacknowledged (it replays after restart) rather than crash.
      this.o.logger.error({ sink: this.name, err }, `sink ${this.name}: delivering a batch failed unexpectedly; it stays in the buffer`);
      this.outcome(false, `internal error: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    // Because the source may commit its offset once acked: ack only what was delivered or dead-lettered.
    if (ok) this.buffer!.ack(batch.id);
    else this.interrupted = true;
  }

  private get deliveryContext(): DeliveryContext {
    const o = this.o;
    return {
      name: this.name, sink: o.sink, retry: o.config.retry, requestTimeoutMs: o.config.request.timeout, clock: this.clock,
      logger: o.logger, metrics: this.metrics, deadLetter: this.deadLetter,
      stopRetries: this.stopRetries.signal, abortSends: this.abortSends.signal,
      outcome: (ok, error) => this.outcome(ok, error),
    };
  }

  /** Calls sink.start() (templates, migrations) until it succeeds; false when stopped first. */
  private async startSink(): Promise<boolean> {
    const start = this.o.sink.start?.bind(this.o.sink);
    for (let attempt = 1; start; attempt++) {
      try {
        await start(AbortSignal.any([this.abortSends.signal, AbortSignal.timeout(this.o.config.request.timeout)]));
        break;
      } catch (err) {
        const reason = `start failed: ${err instanceof Error ? err.message : String(err)}`;
        this.outcome(false, reason);
        if (this.stopRetries.signal.aborted) return false;
        const delay = backoffDelay(attempt, { initialMs: this.o.config.retry.initial_backoff, maxMs: this.o.config.retry.max_backoff }, () => this.clock.random());
        this.o.logger.warn({ sink: this.name, attempt, delayMs: delay, reason }, `sink ${this.name}: ${reason}; retry ${attempt} in ${delay} ms`);
        await this.clock.sleep(delay, this.stopRetries.signal);
        if (this.stopRetries.signal.aborted) return false;
      }
    }
    this.state = 'ok';
    this.failures = 0;
    return true;
  }

  /** ok without error: delivered. ok with error: dead-lettered (the sink answers, the data was refused). */
  private outcome(ok: boolean, error?: string): void {
    const now = this.clock.now();
    if (error !== undefined) {
      this.lastError = error;
      this.lastErrorAt = now;
    }
    if (ok) {
      if (error === undefined) this.lastSuccessAt = now;
      this.failures = 0;
      this.state = 'ok';
      if (error !== undefined) this.report(`sink ${this.name}: ${error}`);
      else if (this.reported) this.report(undefined);
      return;
    }
    this.failures++;
    if (this.failures >= FAILING_AFTER) this.state = 'failing';
    else if (this.state !== 'starting') this.state = 'retrying';
    this.report(`sink ${this.name}: ${error}`);
  }

  private report(error: string | undefined): void {
    this.reported = error !== undefined;
    if (error === undefined) this.o.status?.ok();
    else this.o.status?.error(error);
  }
}
