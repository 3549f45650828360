// Event counts kept beside the Prometheus counters, because /status shows them and prom-client counters are
// not meant to be read back on a hot path.
import type { SinkMetrics } from './metrics';

export interface Tally {
  received: number;
  sent: number;
  failed: number;
  retried: number;
  deadLettered: number;
  dropped: number;
  corrupt: number;
}

/** Wraps `inner` so every event count also lands in `counts`. */
export function tally(inner: SinkMetrics): { metrics: SinkMetrics; counts: Tally } {
  const counts: Tally = { received: 0, sent: 0, failed: 0, retried: 0, deadLettered: 0, dropped: 0, corrupt: 0 };
  const wrap = (key: Exclude<keyof Tally, 'corrupt'>, f: (e: number, b: number) => void) => (events: number, bytes: number): void => {
    counts[key] += events;
    f(events, bytes);
  };
  return {
    counts,
    metrics: {
      received: wrap('received', inner.received),
      sent: wrap('sent', inner.sent),
      failed: wrap('failed', inner.failed),
      retried: wrap('retried', inner.retried),
      deadLettered: wrap('deadLettered', inner.deadLettered),
      dropped: wrap('dropped', inner.dropped),
      corrupt: (n) => {
        counts.corrupt += n;
        inner.corrupt(n);
      },
      deadLetterDiscarded: inner.deadLetterDiscarded,
      sendDuration: inner.sendDuration,
      lastSuccess: inner.lastSuccess,
    },
  };
}
