// The `influxdb` sink: samples → line protocol → InfluxDB 1.x /write or 2.x /api/v2/write (or VictoriaMetrics).
import type { ComponentContext, Counter } from '../../component';
import type { TelemetryRecord } from '../../model';
import type { SendResult } from '../../model/send-result';
import { classifyNetworkError } from '../shared/http';
import { withEncoderRejects } from '../shared/http-client';
import type { SendOptions, Sink } from '../types';
import { classifyInflux, InfluxClient } from './client';
import { LineEncoder, type EncodedLines, type InfluxMapping } from './encode';
import { droppedIndices } from './partial-write';
import type { InfluxDbConfig } from './schema';

export class InfluxDbSink implements Sink {
  private readonly client: InfluxClient;
  private readonly mapping: InfluxMapping;
  private readonly encoder: LineEncoder;
  private readonly nonFinite: Counter;
  private readonly stale: Counter;

  constructor(private readonly config: InfluxDbConfig, private readonly ctx: ComponentContext) {
    this.client = new InfluxClient(config, `sinks.${ctx.name}`);
    this.mapping = { measurementPerMetric: config.measurement_per_metric, measurement: config.measurement, field: config.field, precision: config.precision };
    this.encoder = new LineEncoder(this.mapping);
    this.nonFinite = ctx.metrics.counter('influx_nonfinite_dropped_total', 'Samples not written because the value was NaN or ±Inf, which InfluxDB refuses.');
    this.stale = ctx.metrics.counter('influx_stale_skipped_total', 'Prometheus staleness markers not written: InfluxDB has no "series ended" value.');
  }

  accepts(record: TelemetryRecord): boolean {
    return record.kind === 'sample';
  }

  async start(signal: AbortSignal): Promise<void> {
    if (this.config.create_database) await this.client.createDatabase(signal);
  }

  async send(records: TelemetryRecord[], options: SendOptions): Promise<SendResult> {
    const batch = this.encoder.encode(records);
    if (batch.nonFinite) this.nonFinite.inc(batch.nonFinite);
    if (batch.stale) this.stale.inc(batch.stale);
    if (batch.indices.length === 0) return batch.rejected.length ? { kind: 'partial', retry: [], reject: batch.rejected } : { kind: 'ok' };
    return withEncoderRejects(await this.write(batch, records, options.signal), batch.rejected, records.length);
  }

  private async write(batch: EncodedLines, records: TelemetryRecord[], signal: AbortSignal): Promise<SendResult> {
    let verdict;
    try {
      const res = await this.client.write(batch.body, signal);
      verdict = classifyInflux(res.status, res.headers['retry-after'], res.body, this.client.target);
    } catch (err) {
      return classifyNetworkError(err, this.client.target);
    }
    switch (verdict.kind) {
      case 'done':
        return verdict.result;
      case 'partial_write': {
        const dropped = droppedIndices(verdict.message, batch, records, this.mapping);
        const reason = `${this.client.target} dropped points: ${verdict.message}`;
        if (dropped) return { kind: 'partial', retry: [], reject: dropped.map((index) => ({ index, reason })) };
        // The server stored the rest but did not say which points it dropped: dead-letter the whole batch.
        // Replaying it later duplicates nothing, because InfluxDB overwrites a point with the same series and time.
        return { kind: 'reject', reason: `${reason} (the server wrote the other points but did not say which were dropped, so the whole batch is dead-lettered; replaying it is harmless)` };
      }
      case 'database_not_found':
        return this.databaseMissing(verdict.message, signal);
      default:
        return verdict satisfies never;
    }
  }

  /** Creates the database when allowed and asks for an immediate retry; otherwise says exactly what to do. */
  private async databaseMissing(message: string, signal: AbortSignal): Promise<SendResult> {
    const where = `${this.client.writeUrl.origin}`;
    if (!this.config.create_database) {
      return { kind: 'retry', reason: `database "${this.config.database}" not found on ${where}; create it or set create_database: true (${message})` };
    }
    try {
      await this.client.createDatabase(signal);
      this.ctx.logger.info({ database: this.config.database, url: where }, 'created missing InfluxDB database');
      return { kind: 'retry', reason: `database "${this.config.database}" was missing on ${where}; created it`, afterMs: 0 };
    } catch (err) {
      return { kind: 'retry', reason: `database "${this.config.database}" not found on ${where} and creating it failed: ${(err as Error).message}` };
    }
  }

  /** Writes an empty body: InfluxDB checks the database (or bucket) and the credentials and answers 204. */
  async healthcheck(signal: AbortSignal): Promise<void> {
    const res = await this.client.write('', signal);
    const verdict = classifyInflux(res.status, res.headers['retry-after'], res.body, this.client.target);
    if (verdict.kind === 'done' && verdict.result.kind === 'ok') return;
    if (verdict.kind === 'database_not_found') {
      if (this.config.create_database) return; // start() creates it
      throw new Error(`database "${this.config.database}" not found on ${this.client.writeUrl.origin}; create it or set create_database: true`);
    }
    throw new Error(verdict.kind === 'done' && 'reason' in verdict.result ? verdict.result.reason : `${this.client.target}: HTTP ${res.status} ${res.body}`);
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
