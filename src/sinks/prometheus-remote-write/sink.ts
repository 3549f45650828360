// The `prometheus_remote_write` sink: samples → one remote-write 1.0 request per batch.
import type { ComponentContext, Counter } from '../../component';
import type { TelemetryRecord } from '../../model';
import type { SendResult } from '../../model/send-result';
import { withEncoderRejects } from '../shared/http-client';
import type { SendOptions, Sink } from '../types';
import { RemoteWriteClient } from './client';
import { RemoteWriteEncoder } from './encode';
import type { RemoteWriteConfig } from './schema';

export class RemoteWriteSink implements Sink {
  /** send() encodes and compresses before its first await; the HTTP client keeps request.concurrency connections. */
  readonly readyAhead = 1;
  /** reuseBody: client.write() compresses the body before its first await, so the next send() may overwrite it. */
  private readonly encoder = new RemoteWriteEncoder({ reuseBody: true });
  private readonly client: RemoteWriteClient;
  private readonly duplicateOnRetry: Counter;
  private readonly merged: Counter;

  constructor(config: RemoteWriteConfig, private readonly ctx: ComponentContext) {
    this.client = new RemoteWriteClient(config, `sinks.${ctx.name}`);
    this.duplicateOnRetry = ctx.metrics.counter(
      'remote_write_duplicate_on_retry_total',
      'Samples of a retried request the receiver answered "out of order / duplicate / too old": an earlier attempt had stored them, so they count as delivered.',
    );
    this.merged = ctx.metrics.counter(
      'remote_write_same_timestamp_merged_total',
      'Samples replaced by a later sample of the same series and timestamp in the same batch (only the last is sent).',
    );
  }

  accepts(record: TelemetryRecord): boolean {
    return record.kind === 'sample';
  }

  async send(records: TelemetryRecord[], options: SendOptions): Promise<SendResult> {
    const batch = this.encoder.encode(records);
    if (batch.merged) this.merged.inc(batch.merged);
    // Nothing sendable (every record refused by the encoder): no request, every record dead-lettered with its reason.
    if (batch.seriesCount === 0) return batch.rejected.length ? { kind: 'partial', retry: [], reject: batch.rejected } : { kind: 'ok' };
    const outcome = await this.client.write(batch.body, options.attempt, options.signal);
    if (outcome.duplicateOnRetry) {
      const count = records.length - batch.rejected.length;
      this.duplicateOnRetry.inc(count);
      this.ctx.logger.info({ attempt: options.attempt, samples: count }, 'retried remote-write request was already stored by the receiver; counted as delivered');
    }
    return withEncoderRejects(outcome.result, batch.rejected, records.length);
  }

  /** Sends an empty WriteRequest: proves the URL, the path, TLS and the credentials without writing a sample. */
  async healthcheck(signal: AbortSignal): Promise<void> {
    const { result } = await this.client.write(Buffer.alloc(0), 1, signal);
    if (result.kind !== 'ok') throw new Error('reason' in result ? result.reason : `unexpected ${result.kind}`);
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
