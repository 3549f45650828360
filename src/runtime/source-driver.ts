// Drives one source: a polled source on its interval or cron expression, a streaming source by keeping its
// run() alive (restarted with backoff when it fails). Each round is traced and counted; a round that is still
// running when the next one is due is skipped (counted) rather than stacked.
import { scheduleCron, type ScheduledTask } from './cron';
import type { Logger } from 'pino';
import type { Counter } from '../component';
import type { TelemetryRecord } from '../model';
import type { Source } from '../sources/types';
import type { ComponentStatus, ComponentMetrics } from '../component';
import { inSpan } from '../self/tracing';

export interface SourceDriverOptions {
  name: string;
  type: string;
  source: Source;
  intervalMs: number;
  cron?: string;
  emit(records: TelemetryRecord[]): Promise<void>;
  logger: Logger;
  metrics: ComponentMetrics;
  status: ComponentStatus;
  signal: AbortSignal;
}

const STREAM_RESTART_MAX_MS = 60_000;

export class SourceDriver {
  private timer: NodeJS.Timeout | undefined;
  private task: ScheduledTask | undefined;
  private round: Promise<void> | undefined;
  private streaming: Promise<void> | undefined;
  private readonly rounds: Counter;
  private readonly skipped: Counter;
  private readonly failures: Counter;
  private readonly emitted: Counter;

  constructor(private readonly o: SourceDriverOptions) {
    this.rounds = o.metrics.counter('source_rounds_total', 'Collection rounds completed by a polled source.');
    this.skipped = o.metrics.counter('source_rounds_skipped_total', 'Rounds skipped because the previous one was still running.');
    this.failures = o.metrics.counter('source_errors_total', 'Collection rounds or streaming runs that failed.');
    this.emitted = o.metrics.counter('source_emitted_events_total', 'Records a source handed to the pipeline.');
  }

  start(): void {
    const { source } = this.o;
    if (source.run) {
      // A running stream counts as collecting (it may be waiting for its first file); it reports its own errors.
      this.o.status.ok();
      this.streaming = this.keepStreaming();
    } else if (source.collect) {
      if (this.o.cron) {
        this.task = scheduleCron(this.o.cron, () => this.tick(), `source:${this.o.name}`);
      } else {
        this.tick();
        this.timer = setInterval(() => this.tick(), this.o.intervalMs);
      }
    }
  }

  /** Stops scheduling and waits for the round or stream in progress to notice the abort. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.task) await this.task.stop();
    await Promise.allSettled([this.round, this.streaming].filter((p): p is Promise<void> => p !== undefined));
    await this.o.source.close?.();
  }

  private tick(): void {
    if (this.o.signal.aborted) return;
    if (this.round) {
      this.skipped.inc();
      return;
    }
    this.round = this.collectRound().finally(() => {
      this.round = undefined;
    });
  }

  private async collectRound(): Promise<void> {
    const { name, type, source, logger, status, signal } = this.o;
    try {
      await inSpan('source.collect', { 'source.name': name, 'source.type': type }, async (span) => {
        const records = await source.collect!(signal);
        span.setAttribute('records', records.length);
        if (records.length > 0) {
          await this.o.emit(records);
          this.emitted.inc(records.length);
        }
      });
      this.rounds.inc();
    } catch (err) {
      if (signal.aborted) return;
      this.failures.inc();
      const message = err instanceof Error ? err.message : String(err);
      status.error(message);
      logger.warn({ source: name, err: message }, `source ${name}: collection failed; next round in ${Math.round(this.o.intervalMs / 1000)}s`);
    }
  }

  private async keepStreaming(): Promise<void> {
    const { name, source, logger, status, signal } = this.o;
    let delay = 1000;
    while (!signal.aborted) {
      try {
        await source.run!();
        if (signal.aborted) return;
        delay = 1000;
      } catch (err) {
        if (signal.aborted) return;
        this.failures.inc();
        const message = err instanceof Error ? err.message : String(err);
        status.error(message);
        logger.error({ source: name, err: message }, `source ${name}: stopped with an error; restarting in ${delay / 1000}s`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, delay);
        signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
      });
      delay = Math.min(delay * 2, STREAM_RESTART_MAX_MS);
    }
  }
}
