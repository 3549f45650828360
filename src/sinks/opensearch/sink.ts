// The `opensearch` sink: logs and events (and samples when accept_metrics) → `_bulk` create with deterministic
// ids into daily indices or data streams, behind an index template the sink installs itself.
import type { ComponentContext, Counter } from '../../component';
import type { TelemetryRecord } from '../../model';
import type { SendResult } from '../../model/send-result';
import type { SendOptions, Sink } from '../types';
import { reasonOf } from '../shared/result';
import { classifyRequestStatus, classifyTransportError, OpenSearchClient } from './client';
import { BodyBufferPool } from './body-buffer';
import { DOC_BYTES_GUESS, encodeBulk, IndexNamer } from './encode';
import { enforceRetention, hasIsm, installIsmPolicy, installTemplates } from './lifecycle';
import type { OpenSearchConfig } from './schema';

export class OpenSearchSink implements Sink {
  private readonly client: OpenSearchClient;
  private readonly namer: IndexNamer;
  private readonly bodies = new BodyBufferPool();
  private readonly alreadyDelivered: Counter;
  private readonly deletedIndices: Counter;
  /** Learned in start(); undefined until then (housekeeping then detects it itself). */
  private ism: boolean | undefined;
  private closed: Promise<void> | undefined;

  constructor(
    private readonly cfg: OpenSearchConfig,
    private readonly ctx: ComponentContext,
  ) {
    this.client = new OpenSearchClient(cfg, `sinks.${ctx.name}`);
    this.namer = new IndexNamer({ logsPrefix: cfg.index_prefix, metricsPrefix: cfg.metrics_index_prefix, dataStream: cfg.data_stream });
    this.alreadyDelivered = ctx.metrics.counter('opensearch_already_delivered_total', 'Documents OpenSearch already held (409 on create): replays after an ambiguous failure, stored once.');
    this.deletedIndices = ctx.metrics.counter('opensearch_retention_deleted_indices_total', 'Indices the sink deleted because they passed retention_days (no ISM plugin).');
  }

  accepts(record: TelemetryRecord): boolean {
    return record.kind === 'log' || this.cfg.accept_metrics;
  }

  /** Templates first: an index auto-created by the first bulk before its template exists keeps dynamic mappings forever. */
  async start(signal: AbortSignal): Promise<void> {
    await installTemplates(this.client, this.cfg, signal);
    this.ism = await hasIsm(this.client, signal);
    if (this.ism && this.cfg.retention_days > 0) await installIsmPolicy(this.client, this.cfg, signal);
    this.ctx.logger.info({ url: this.client.url, ism: this.ism, data_stream: this.cfg.data_stream }, this.ism ? 'index template and ISM retention policy installed' : 'index template installed; no ISM plugin, the sink enforces retention itself');
  }

  async send(records: TelemetryRecord[], options: SendOptions): Promise<SendResult> {
    const buffer = this.bodies.acquire(records.length * DOC_BYTES_GUESS);
    try {
      const { body, sent, problems } = encodeBulk(records, this.namer, buffer);
      const { result, duplicates } = await this.client.bulk(body, sent, problems, options.signal);
      if (duplicates) this.alreadyDelivered.inc(duplicates);
      return result;
    } finally {
      // bulk() settles only once the request finished or was aborted: nothing reads the bytes any more.
      this.bodies.release(buffer);
    }
  }

  async healthcheck(signal: AbortSignal): Promise<void> {
    let res;
    try {
      res = await this.client.request('GET', '/', { signal });
    } catch (err) {
      const r = classifyTransportError(err, this.client.url);
      throw new Error(reasonOf(r, String(err)));
    }
    if (res.status !== 200) {
      const r = classifyRequestStatus(res, `${this.client.url}/`);
      throw new Error(reasonOf(r, `HTTP ${res.status}`));
    }
    const version = (res.body as { version?: { number?: string; distribution?: string } } | null)?.version;
    if (!version?.number) throw new Error(`${this.client.url} answered but is not OpenSearch (no version in GET /) — check url`);
  }

  async housekeeping(signal: AbortSignal): Promise<void> {
    this.ism ??= await hasIsm(this.client, signal);
    if (this.ism) return; // the ISM policy deletes old indices on the cluster's own schedule
    const deleted = await enforceRetention(this.client, this.cfg, signal);
    if (deleted.length) {
      this.deletedIndices.inc(deleted.length);
      this.ctx.logger.info({ deleted, retention_days: this.cfg.retention_days }, 'deleted indices past retention');
    }
  }

  /** Idempotent: the runner closes the sink at stop, and the agent may again at exit. */
  close(): Promise<void> {
    this.closed ??= this.client.close();
    return this.closed;
  }
}
