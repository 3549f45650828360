// Shared test helpers for the pipeline: a scripted in-process sink, a clock whose sleeps return at once (and
// record what was asked), a capturing logger, record factories, temp dirs, deadline polling, and a SinkRunner
// with a disk buffer around a real sink.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { Registry } from 'prom-client';
import type { LogRecord, TelemetryRecord } from '../../src/model';
import type { SendResult } from '../../src/model/send-result';
import type { Clock } from '../../src/pipeline/clock';
import { PipelineMetrics } from '../../src/pipeline/metrics';
import { SinkRunner } from '../../src/pipeline/sink-runner';
import type { SendOptions, Sink } from '../../src/sinks/types';

export function tempDir(prefix = 'fta-pipeline-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function logRecord(i: number, message = `line ${i}`): LogRecord {
  return { kind: 'log', id: `r-${i}`, logKind: 'log', timestampMs: 1_700_000_000_000 + i, level: 'INFO', message, attributes: {}, labels: { node: 'n1' } };
}

export function logRecords(from: number, count: number): LogRecord[] {
  return Array.from({ length: count }, (_, k) => logRecord(from + k));
}

export const idsOf = (rs: TelemetryRecord[]): string[] => rs.map((r) => (r.kind === 'log' ? r.id : r.name));

/** A pino logger whose lines are parsed into `lines`. */
export function captureLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { logger, lines };
}

/** Sleeps advance a virtual time and return on the next macrotask; `sleeps` records each requested delay. */
export class FakeClock implements Clock {
  t = 1_000_000;
  readonly sleeps: number[] = [];
  constructor(private readonly rnd = 0.5) {}
  now(): number {
    return this.t;
  }
  random(): number {
    return this.rnd;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    this.t += ms;
    return new Promise((resolve) => (signal?.aborted ? resolve() : setImmediate(resolve)));
  }
}

/** A clock whose sleeps only end when aborted: a sink in backoff stays there until shutdown. */
export class FrozenClock extends FakeClock {
  override sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    return new Promise((resolve) => (signal?.aborted ? resolve() : signal?.addEventListener('abort', () => resolve(), { once: true })));
  }
}

/**
 * An in-process sink that answers from a script: `respond(records, call)` decides each SendResult.
 * `delivered` holds the records of every `ok` answer (and the non-failed items of a partial one).
 */
export class ScriptedSink implements Sink {
  readonly calls: TelemetryRecord[][] = [];
  readonly delivered: TelemetryRecord[] = [];
  readonly attempts: number[] = [];
  startCalls = 0;
  constructor(
    private readonly respond: (records: TelemetryRecord[], call: number) => SendResult = () => ({ kind: 'ok' }),
    private readonly startFailures = 0,
    private readonly accept: (r: TelemetryRecord) => boolean = () => true,
  ) {}
  accepts(r: TelemetryRecord): boolean {
    return this.accept(r);
  }
  async start(): Promise<void> {
    this.startCalls++;
    if (this.startCalls <= this.startFailures) throw new Error(`template install failed (${this.startCalls})`);
  }
  async send(records: TelemetryRecord[], options: SendOptions): Promise<SendResult> {
    this.calls.push(records);
    this.attempts.push(options.attempt);
    const r = this.respond(records, this.calls.length);
    if (r.kind === 'ok') this.delivered.push(...records);
    if (r.kind === 'partial') {
      const failed = new Set([...r.retry, ...r.reject.map((x) => x.index)]);
      this.delivered.push(...records.filter((_, i) => !failed.has(i)));
    }
    return r;
  }
}

/** Polls `cond` until true or the deadline passes (then throws `what`). */
export async function waitFor(cond: () => boolean, what: string, deadlineMs = 30_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const noopCounters = { received: () => undefined, dropped: () => undefined, corrupt: () => undefined };

/**
 * Runs `fn` with a SinkRunner named `name` over `sink` (a real sink, against its real server): a disk buffer and
 * dead-letter file in a fresh directory, short backoffs, 2 in flight, a silent log. Stops it and removes the
 * directory afterwards.
 */
export async function withDiskRunner(name: string, sink: Sink, maxEvents: number, fn: (runner: SinkRunner, dataDir: string) => Promise<void>): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), `fta-${name}-runner-`));
  const runner = new SinkRunner({
    name,
    sink,
    config: {
      batch: { max_events: maxEvents, max_bytes: 1 << 20, timeout: 20 },
      buffer: { type: 'disk', max_size: 64 << 20, when_full: 'block' },
      retry: { initial_backoff: 50, max_backoff: 500, max_elapsed: 0 },
      request: { concurrency: 2, timeout: 10_000 },
      dead_letter: { max_bytes: 100 << 20 },
    },
    dataDir,
    logger: pino({ level: 'silent' }),
    metrics: PipelineMetrics.for(new Registry()),
  });
  try {
    await fn(runner, dataDir);
  } finally {
    await runner.stop(1000);
    rmSync(dataDir, { recursive: true, force: true });
  }
}
