// The pipeline's own metrics, per sink (label `sink`), in the prom-client Registry the agent serves on /metrics.
// Counters answer "was anything lost or repeated?": received = sent + dead-lettered + dropped + queued, always.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { BufferCounters } from './buffer';

export interface SinkMetrics extends BufferCounters {
  /** Delivered (the sink answered ok, or ok for these items of a partial answer). */
  sent(events: number, bytes: number): void;
  /** Sent in an attempt that failed (retry, timeout, thrown error); they are retried or dead-lettered after. */
  failed(events: number, bytes: number): void;
  /** Sent again after a failure. */
  retried(events: number, bytes: number): void;
  deadLettered(events: number, bytes: number): void;
  /** Dead-lettered records deleted from disk when the dead-letter file rotated past `dead_letter.max_bytes`. */
  deadLetterDiscarded(events: number): void;
  sendDuration(seconds: number): void;
  lastSuccess(atMs: number): void;
}

/** Live sizes read at scrape time, so the hot path never touches a gauge. */
export interface QueueProbe {
  queuedEvents: number;
  queuedBytes: number;
  diskBytes: number;
}

type L = 'sink';

export class PipelineMetrics {
  private readonly probes = new Map<string, () => QueueProbe>();
  private readonly counters: Record<string, Counter<L>>;
  private readonly sendSeconds: Histogram<L>;
  private readonly lastSuccessTs: Gauge<L>;

  /** One per Registry: call `PipelineMetrics.for(registry)` (a reload reuses it). */
  static for(registry: Registry): PipelineMetrics {
    let m = instances.get(registry);
    if (!m) instances.set(registry, (m = new PipelineMetrics(registry)));
    return m;
  }

  private constructor(registry: Registry) {
    const counter = (name: string, help: string): Counter<L> => new Counter({ name, help, labelNames: ['sink'], registers: [registry] });
    this.counters = {
      receivedE: counter('fta_sink_received_events_total', 'Records handed to the sink runner (after the sink\'s accepts() filter).'),
      receivedB: counter('fta_sink_received_bytes_total', 'Bytes of the records handed to the sink runner, as buffered (JSON; the disk queue stores described samples compactly).'),
      sentE: counter('fta_sink_sent_events_total', 'Records the sink delivered.'),
      sentB: counter('fta_sink_sent_bytes_total', 'Bytes (as buffered) of the records the sink delivered.'),
      failedE: counter('fta_sink_failed_events_total', 'Records in send attempts that failed (they are retried or dead-lettered).'),
      failedB: counter('fta_sink_failed_bytes_total', 'Bytes (as buffered) of records in failed send attempts.'),
      retriedE: counter('fta_sink_retried_events_total', 'Records sent again after a failure.'),
      retriedB: counter('fta_sink_retried_bytes_total', 'Bytes (as buffered) of records sent again after a failure.'),
      deadE: counter('fta_sink_dead_lettered_events_total', 'Records written to the dead-letter file (rejected, or retries gave up).'),
      deadB: counter('fta_sink_dead_lettered_bytes_total', 'Bytes (as buffered) of dead-lettered records.'),
      deadDiscarded: counter('fta_sink_dead_letter_discarded_events_total', 'Dead-lettered records deleted when the dead-letter file rotated past dead_letter.max_bytes (the oldest generation is replaced).'),
      droppedE: counter('fta_buffer_dropped_events_total', 'Records discarded because the buffer was full (when_full: drop_newest / drop_oldest).'),
      droppedB: counter('fta_buffer_dropped_bytes_total', 'Bytes (as buffered) discarded because the buffer was full.'),
      corrupt: counter('fta_buffer_corrupt_records_total', 'Corrupt or torn regions skipped in the disk queue (each region is at least one record lost).'),
    };
    this.sendSeconds = new Histogram({
      name: 'fta_sink_send_duration_seconds',
      help: 'Time one send (one request of one batch) took, whatever its outcome.',
      labelNames: ['sink'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
    this.lastSuccessTs = new Gauge({ name: 'fta_sink_last_success_timestamp_seconds', help: 'Unix time of the sink\'s last successful send.', labelNames: ['sink'], registers: [registry] });
    const probes = this.probes;
    const gauge = (name: string, help: string, pick: (p: QueueProbe) => number): void => {
      new Gauge({
        name, help, labelNames: ['sink'], registers: [registry],
        collect() {
          this.reset();
          for (const [sink, probe] of probes) this.set({ sink }, pick(probe()));
        },
      });
    };
    gauge('fta_buffer_queued_events', 'Records in the sink\'s buffer not yet delivered (unread and in flight).', (p) => p.queuedEvents);
    gauge('fta_buffer_queued_bytes', 'Bytes (as buffered) in the sink\'s buffer not yet delivered.', (p) => p.queuedBytes);
    gauge('fta_buffer_disk_bytes', 'Bytes the sink\'s disk queue occupies (0 for a memory buffer).', (p) => p.diskBytes);
  }

  /** The counters of one sink; `probe` is read at every scrape for the queue gauges. */
  forSink(sink: string, probe: () => QueueProbe): SinkMetrics {
    this.probes.set(sink, probe);
    const c = Object.fromEntries(Object.entries(this.counters).map(([k, v]) => {
      const child = v.labels({ sink });
      child.inc(0); // the series exists from the start, so rate() and alerts see it before the first event
      return [k, child];
    }));
    const hist = this.sendSeconds.labels({ sink });
    const last = this.lastSuccessTs.labels({ sink });
    const pair = (e: string, b: string) => (events: number, bytes: number): void => {
      c[e]!.inc(events);
      c[b]!.inc(bytes);
    };
    return {
      received: pair('receivedE', 'receivedB'),
      sent: pair('sentE', 'sentB'),
      failed: pair('failedE', 'failedB'),
      retried: pair('retriedE', 'retriedB'),
      deadLettered: pair('deadE', 'deadB'),
      deadLetterDiscarded: (n) => c.deadDiscarded!.inc(n),
      dropped: pair('droppedE', 'droppedB'),
      corrupt: (n) => c.corrupt!.inc(n),
      sendDuration: (s) => hist.observe(s),
      lastSuccess: (ms) => last.set(ms / 1000),
    };
  }

  /** Stops reporting queue gauges of a stopped runner (unless a newer runner of the same name took over). */
  removeSink(sink: string, probe: () => QueueProbe): void {
    if (this.probes.get(sink) === probe) this.probes.delete(sink);
  }
}

const instances = new WeakMap<Registry, PipelineMetrics>();
