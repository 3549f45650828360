// The contract between the pipeline and a sink. A sink turns a batch into requests and classifies the outcome;
// batching, retries, backoff, disk buffering, dead letters and acknowledgements live once, in src/pipeline.
import type { z } from 'zod';
import type { ComponentContext } from '../component';
import type { TelemetryRecord } from '../model';
import type { SendResult } from '../model/send-result';

export interface SendOptions {
  signal: AbortSignal;
  /** 1 for the first try of this batch; >1 on retries (a remote-write 400 "duplicate" on a retry means delivered). */
  attempt: number;
}

export interface Sink {
  /** Which records this sink takes (e.g. remote-write: samples only). Others are not queued for it. */
  accepts(record: TelemetryRecord): boolean;
  /** Prepares the server before the first send: index templates, migrations, database creation. Throw to retry. */
  start?(signal: AbortSignal): Promise<void>;
  /**
   * Batches the runner may have in send() beyond `request.concurrency` (default 0). A sink whose send() encodes
   * the batch synchronously and then waits for one of its own `request.concurrency` connections sets 1: the next
   * body is built while the receiver works, and goes out the moment a response frees a connection. Without it
   * the receiver idles for one encode after every response (docs/pipeline.md: remote-write to a VictoriaMetrics
   * on a core of its own, 0.74–0.82× a sender of ready bodies; with it, 0.84–0.88×). Requests on the wire stay
   * at most `request.concurrency`, and the buffer hands out one more batch.
   */
  readonly readyAhead?: number;
  /** Sends one batch. Resolves expected failures into a SendResult; never sleeps, never retries by itself. */
  send(records: TelemetryRecord[], options: SendOptions): Promise<SendResult>;
  /** For `check`: reach the endpoint once; throw an Error whose message names the cause. */
  healthcheck?(signal: AbortSignal): Promise<void>;
  /** Periodic upkeep on the sink's own schedule (retention: delete old indices, drop old partitions). */
  housekeeping?(signal: AbortSignal): Promise<void>;
  close?(): Promise<void>;
}

export interface SinkDefinition<S extends z.ZodType = z.ZodType> {
  /** The `type:` value in YAML, e.g. `prometheus_remote_write`. */
  type: string;
  description: string;
  /** A `z.strictObject` with `type: z.literal(<type>)` and the spread of `sinkCommonShape` (src/pipeline). */
  schema: S;
  create(config: z.output<S>, ctx: ComponentContext): Sink;
}
