// Options every sink has, owned by the pipeline (batching, buffering, retry). Spread `sinkCommonShape` into a
// sink's `z.strictObject({...})`; the SinkRunner reads these, the sink itself never does.
import { z } from 'zod';
import { duration, size } from '../config/units';

export const batchOptions = z
  .strictObject({
    max_events: z.number().int().positive().default(1000).describe('Send a batch once it holds this many records.'),
    max_bytes: size().prefault('4MiB').describe('Send a batch once its encoded records reach this many bytes.'),
    timeout: duration().prefault('1s').describe('Send a partial batch once its oldest record waited this long.'),
  })
  .describe('When a batch is sent.');

export const bufferOptions = z
  .strictObject({
    type: z
      .enum(['disk', 'memory'])
      .default('disk')
      .describe('disk: records survive restarts and crashes, sources are acknowledged once written. memory: acknowledged only after delivery.'),
    max_size: size().prefault('256MiB').describe('Bound of the buffer (bytes on disk, or bytes in memory).'),
    when_full: z
      .enum(['block', 'drop_newest', 'drop_oldest'])
      .default('block')
      .describe('block: the sources feeding this sink wait. drop_newest / drop_oldest: discard, counted in fta_buffer_dropped_events_total.'),
  })
  .describe('What holds records the sink has not delivered yet.');

export const retryOptions = z
  .strictObject({
    initial_backoff: duration().prefault('500ms').describe('First wait after a retryable failure.'),
    max_backoff: duration().prefault('30s').describe('Cap of the exponential backoff (full jitter); Retry-After may ask for longer, up to this cap ×4.'),
    max_elapsed: duration()
      .prefault('0s')
      .describe('Give up on a batch (dead-letter it) after retrying this long. 0 retries forever: nothing is dropped while the server is down.'),
  })
  .describe('How failed sends are retried.');

export const requestOptions = z
  .strictObject({
    concurrency: z.number().int().positive().default(2).describe('Requests in flight at once.'),
    timeout: duration().prefault('30s').describe('Abort one request after this long (retried as a timeout).'),
  })
  .describe('Request limits.');

export const deadLetterOptions = z
  .strictObject({
    max_bytes: size()
      .prefault('100MiB')
      .describe(
        'Bound of the dead-letter files on disk. <sink>.ndjson and the previous generation <sink>.ndjson.1 hold up to half each; when the current file would pass its half it replaces .1, and the records .1 held are counted in fta_sink_dead_letter_discarded_events_total (the newest records are kept).',
      ),
  })
  .describe('Records the sink will never take (rejected, too large, retries gave up): <data_dir>/dead-letter/<sink>.ndjson, one JSON line each.');

export const sinkCommonShape = {
  inputs: z.array(z.string()).min(1).describe('Names of the sources (or transforms) whose records this sink receives.'),
  batch: batchOptions.prefault({}),
  buffer: bufferOptions.prefault({}),
  retry: retryOptions.prefault({}),
  request: requestOptions.prefault({}),
  dead_letter: deadLetterOptions.prefault({}),
};

export type BatchOptions = z.output<typeof batchOptions>;
export type BufferOptions = z.output<typeof bufferOptions>;
export type RetryOptions = z.output<typeof retryOptions>;
export type RequestOptions = z.output<typeof requestOptions>;
export type DeadLetterOptions = z.output<typeof deadLetterOptions>;
/** The pipeline's view of any sink's config. */
export interface SinkCommonConfig {
  type: string;
  inputs: string[];
  batch: BatchOptions;
  buffer: BufferOptions;
  retry: RetryOptions;
  request: RequestOptions;
  dead_letter: DeadLetterOptions;
}
