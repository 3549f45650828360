// Delivers one batch until every record is either delivered or dead-lettered: the SinkRunner's retry loop.
// The sink only classifies each answer (SendResult); here lives everything about time: per-request timeout,
// backoff with full jitter, Retry-After, max_elapsed, 413 splitting, partial retries, and shutdown.
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { TelemetryRecord } from '../model';
import type { SendResult } from '../model/send-result';
import type { Sink } from '../sinks/types';
import { backoffDelay } from './backoff';
import type { Clock } from './clock';
import type { DeadLetterFile } from './dead-letter';
import type { SinkMetrics } from './metrics';
import type { RetryOptions } from './sink-options';

export interface DeliveryContext {
  name: string;
  sink: Sink;
  retry: RetryOptions;
  requestTimeoutMs: number;
  clock: Clock;
  logger: Logger;
  metrics: SinkMetrics;
  deadLetter: DeadLetterFile;
  /** Aborted at shutdown: no more waits or retries; what is not delivered stays in the buffer. */
  stopRetries: AbortSignal;
  /** Aborted when the shutdown grace period ends: requests still running are cancelled. */
  abortSends: AbortSignal;
  /** Every send outcome, for /status. */
  outcome(ok: boolean, error?: string): void;
}

interface Part {
  records: TelemetryRecord[];
  sizes: number[];
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
const pick = (p: Part, idx: number[]): Part => ({ records: idx.map((i) => p.records[i]!), sizes: idx.map((i) => p.sizes[i]!) });

/** True when every record was delivered or dead-lettered (ack the batch); false when shutdown interrupted it. */
export async function deliver(ctx: DeliveryContext, records: TelemetryRecord[], sizes: number[]): Promise<boolean> {
  return deliverPart(ctx, { records, sizes });
}

async function deliverPart(ctx: DeliveryContext, part: Part): Promise<boolean> {
  let pending = part;
  let firstFailureAt: number | undefined;
  for (let attempt = 1; ; attempt++) {
    if (attempt > 1) ctx.metrics.retried(pending.records.length, sum(pending.sizes));
    const result = await sendOnce(ctx, pending.records, attempt);
    let reason: string;
    let afterMs: number | undefined;
    switch (result.kind) {
      case 'ok':
        delivered(ctx, pending);
        return true;
      case 'reject':
        return deadLetter(ctx, pending, result.reason);
      case 'too_large': {
        // Too large is a property of the request, not of time: split instead of waiting (Telegraf splitAndWrite).
        if (pending.records.length === 1) return deadLetter(ctx, pending, `${result.reason} (a single record is too large for the sink)`);
        const mid = pending.records.length >> 1;
        const all = [...pending.records.keys()];
        ctx.logger.info({ sink: ctx.name, events: pending.records.length }, `sink ${ctx.name}: request too large (${result.reason}); splitting ${pending.records.length} records in two`);
        return (await deliverPart(ctx, pick(pending, all.slice(0, mid)))) && (await deliverPart(ctx, pick(pending, all.slice(mid))));
      }
      case 'partial': {
        const n = pending.records.length;
        const retry = [...new Set(result.retry.filter((i) => i >= 0 && i < n))];
        const rejects = result.reject.filter((r) => r.index >= 0 && r.index < n && !retry.includes(r.index));
        const settled = new Set([...retry, ...rejects.map((r) => r.index)]);
        delivered(ctx, pick(pending, [...pending.records.keys()].filter((i) => !settled.has(i))));
        if (rejects.length > 0 && !(await deadLetter(ctx, pick(pending, rejects.map((r) => r.index)), rejects.map((r) => r.reason)))) return false;
        if (retry.length === 0) return true;
        pending = pick(pending, retry);
        reason = `${retry.length} of ${n} items failed (partial)`;
        afterMs = result.retryAfterMs;
        ctx.metrics.failed(pending.records.length, sum(pending.sizes));
        break;
      }
      case 'retry':
        reason = result.reason;
        afterMs = result.afterMs;
        ctx.metrics.failed(pending.records.length, sum(pending.sizes));
        break;
      default:
        return result satisfies never;
    }
    ctx.outcome(false, reason);
    const now = ctx.clock.now();
    firstFailureAt ??= now;
    const delay = backoffDelay(attempt, { initialMs: ctx.retry.initial_backoff, maxMs: ctx.retry.max_backoff }, () => ctx.clock.random(), afterMs);
    if (ctx.retry.max_elapsed > 0 && now + delay - firstFailureAt > ctx.retry.max_elapsed) {
      return deadLetter(ctx, pending, `gave up after ${attempt} attempts in ${now - firstFailureAt} ms (retry.max_elapsed ${ctx.retry.max_elapsed} ms): ${reason}`);
    }
    // Because a shutdown must not wait out a backoff: the batch stays in the buffer and is sent after restart.
    if (ctx.stopRetries.aborted) return false;
    ctx.logger.warn(
      { sink: ctx.name, attempt, delayMs: delay, reason, events: pending.records.length, ...(afterMs !== undefined && { retryAfterMs: afterMs }) },
      `sink ${ctx.name}: send failed (${reason}); retry ${attempt} in ${delay} ms`,
    );
    await ctx.clock.sleep(delay, ctx.stopRetries);
    if (ctx.stopRetries.aborted) return false;
  }
}

function delivered(ctx: DeliveryContext, part: Part): void {
  if (part.records.length === 0) return;
  ctx.outcome(true);
  ctx.metrics.sent(part.records.length, sum(part.sizes));
  ctx.metrics.lastSuccess(ctx.clock.now());
}

/** One request with its own timeout. A throwing or hanging sink becomes a retry, never a lost batch. */
async function sendOnce(ctx: DeliveryContext, records: TelemetryRecord[], attempt: number): Promise<SendResult> {
  const timeout = new AbortController();
  const signal = AbortSignal.any([timeout.signal, ctx.abortSends]);
  const timer = setTimeout(() => timeout.abort(), ctx.requestTimeoutMs);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<SendResult>((resolve) => {
    onAbort = () => resolve(timeout.signal.aborted
      ? { kind: 'retry', reason: `timed out after ${ctx.requestTimeoutMs} ms (raise request.timeout or lower batch.max_events / batch.max_bytes)` }
      : { kind: 'retry', reason: 'cancelled at shutdown' });
    signal.addEventListener('abort', onAbort, { once: true });
  });
  const started = performance.now();
  try {
    return await Promise.race([
      ctx.sink.send(records, { signal, attempt }).catch((err: unknown): SendResult => ({ kind: 'retry', reason: `send failed: ${err instanceof Error ? err.message : String(err)}` })),
      aborted,
    ]);
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort!);
    ctx.metrics.sendDuration((performance.now() - started) / 1000);
  }
}

/** Writes the dead-letter lines, retrying the write itself (a full disk) until it works or shutdown. */
async function deadLetter(ctx: DeliveryContext, part: Part, reasons: string | string[]): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    try {
      await ctx.deadLetter.write(part.records, reasons);
      ctx.metrics.deadLettered(part.records.length, sum(part.sizes));
      const first = typeof reasons === 'string' ? reasons : reasons[0];
      ctx.logger.error({ sink: ctx.name, events: part.records.length, reason: first, file: ctx.deadLetter.path }, `sink ${ctx.name}: ${part.records.length} records dead-lettered to ${ctx.deadLetter.path} (${first})`);
      ctx.outcome(true, `records dead-lettered: ${first}`);
      return true;
    } catch (err) {
      const delay = backoffDelay(attempt, { initialMs: ctx.retry.initial_backoff, maxMs: ctx.retry.max_backoff }, () => ctx.clock.random());
      ctx.logger.error({ sink: ctx.name, attempt, delayMs: delay, reason: (err as Error).message }, `sink ${ctx.name}: cannot write the dead-letter file ${ctx.deadLetter.path} (${(err as Error).message}); retry ${attempt} in ${delay} ms`);
      if (ctx.stopRetries.aborted) return false;
      await ctx.clock.sleep(delay, ctx.stopRetries);
      if (ctx.stopRetries.aborted) return false;
    }
  }
}
