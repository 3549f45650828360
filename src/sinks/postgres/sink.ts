// The `postgres` sink: samples into series + samples, logs and events into logs, day-partitioned tables in a
// schema the sink creates and migrates itself; every insert idempotent; retention by dropping partitions.
import type { Pool } from 'pg';
import type { ComponentContext, Counter } from '../../component';
import type { TelemetryRecord } from '../../model';
import type { SendResult } from '../../model/send-result';
import { reasonOf } from '../shared/result';
import type { SendOptions, Sink } from '../types';
import { classifyPgError, createPool, insertBatch, insertStatements } from './client';
import { encodeBatch, StoredSeries, type EncodedBatch } from './encode';
import { daysAhead, dropExpiredPartitions, ensurePartitions, migrate, type PartitionedTable } from './migrations';
import type { PostgresConfig } from './schema';

export class PostgresSink implements Sink {
  private readonly pool: Pool;
  private readonly who: string;
  private readonly sql: ReturnType<typeof insertStatements>;
  private readonly series = new StoredSeries();
  /** `table|dayStart` of partitions known to exist; cleared when the server says otherwise. */
  private readonly partitions = new Set<string>();
  private migrated: Promise<void> | undefined;
  private closed: Promise<void> | undefined;
  private readonly droppedPartitions: Counter;
  private readonly replays: Counter;

  constructor(
    private readonly cfg: PostgresConfig,
    private readonly ctx: ComponentContext,
  ) {
    this.pool = createPool(cfg, `sinks.${ctx.name}`);
    // An idle client whose connection dies emits 'error' on the pool; unhandled, it would crash the agent.
    this.pool.on('error', (err) => ctx.logger.warn({ err: err.message }, 'idle PostgreSQL connection failed; it will be replaced'));
    // The fields, connection_string or not: the schema resolved it into them, and they hold no password.
    this.who = `postgres sink "${ctx.name}" (${cfg.user}@${cfg.host}:${cfg.port}/${cfg.database})`;
    this.sql = insertStatements(cfg.schema);
    this.droppedPartitions = ctx.metrics.counter('postgres_retention_dropped_partitions_total', 'Daily partitions dropped because they passed retention_days.');
    this.replays = ctx.metrics.counter(
      'postgres_replayed_batches_total',
      'Batches with rows already stored (a replay after a crash or a lost answer): COPY refused them, and they were written again with ON CONFLICT DO NOTHING.',
    );
  }

  accepts(): boolean {
    return true;
  }

  /** Migrations, then today's and the next partitions_ahead days' partitions. */
  async start(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    try {
      await this.ensureMigrated();
      await this.ensurePartitionsFor('samples', daysAhead(this.cfg.partitions_ahead));
      await this.ensurePartitionsFor('logs', daysAhead(this.cfg.partitions_ahead));
    } catch (err) {
      throw new Error(reasonOf(classifyPgError(err, this.who).result, String(err)));
    }
  }

  async send(records: TelemetryRecord[], options: SendOptions): Promise<SendResult> {
    options.signal.throwIfAborted();
    const batch = encodeBatch(records, this.series);
    let committed = false;
    try {
      await this.ensureMigrated();
      await this.ensurePartitionsFor('samples', batch.sampleDays);
      await this.ensurePartitionsFor('logs', batch.logDays);
      const client = await this.pool.connect();
      try {
        if ((await insertBatch(client, this.sql, batch)) === 'on_conflict') this.replays.inc();
        committed = true;
      } finally {
        client.release();
      }
      return batch.problems.length ? { kind: 'partial', retry: [], reject: batch.problems } : { kind: 'ok' };
    } catch (err) {
      const { result, stale } = classifyPgError(err, this.who);
      if (stale === 'schema') {
        this.migrated = undefined;
        this.partitions.clear();
        this.series.clear();
      }
      if (stale === 'partitions') this.partitions.clear();
      this.ctx.logger.debug({ err: (err as Error).message, code: (err as { code?: string }).code }, 'postgres batch failed');
      return withProblems(result, batch);
    } finally {
      this.series.settle(batch.series.id, committed);
    }
  }

  async healthcheck(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    try {
      await this.pool.query('SELECT 1');
    } catch (err) {
      throw new Error(reasonOf(classifyPgError(err, this.who).result, String(err)));
    }
  }

  /** Partitions for the coming days, then retention. */
  async housekeeping(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    await this.ensureMigrated();
    await this.ensurePartitionsFor('samples', daysAhead(this.cfg.partitions_ahead));
    await this.ensurePartitionsFor('logs', daysAhead(this.cfg.partitions_ahead));
    const client = await this.pool.connect();
    try {
      const dropped = await dropExpiredPartitions(client, this.cfg.schema, this.cfg.retention_days);
      if (dropped.length) {
        this.partitions.clear(); // cheap to rebuild; a dropped day must be re-created if late data arrives
        this.droppedPartitions.inc(dropped.length);
        this.ctx.logger.info({ dropped, retention_days: this.cfg.retention_days }, 'dropped partitions past retention');
      }
    } finally {
      client.release();
    }
  }

  /** Idempotent: the runner closes the sink at stop, and the agent may again at exit (pg throws on a 2nd end()). */
  close(): Promise<void> {
    this.closed ??= this.pool.end();
    return this.closed;
  }

  private ensureMigrated(): Promise<void> {
    this.migrated ??= (async () => {
      const client = await this.pool.connect();
      try {
        const applied = await migrate(client, this.cfg.schema);
        if (applied.length) this.ctx.logger.info({ schema: this.cfg.schema, applied }, 'applied schema migrations');
      } finally {
        client.release();
      }
    })().catch((err: unknown) => {
      this.migrated = undefined; // try again on the next call
      throw err;
    });
    return this.migrated;
  }

  private async ensurePartitionsFor(table: PartitionedTable, days: Iterable<number>): Promise<void> {
    const missing = [...days].filter((d) => !this.partitions.has(`${table}|${d}`));
    if (missing.length === 0) return;
    const client = await this.pool.connect();
    try {
      await ensurePartitions(client, this.cfg.schema, table, missing);
    } finally {
      client.release();
    }
    for (const d of missing) this.partitions.add(`${table}|${d}`);
  }
}

/**
 * A failed transaction fails all its rows; records the encoder refused keep their own reason. `too_large` stays
 * as it is: the runner splits the batch, and the refused records come back as `partial` from the halves.
 */
function withProblems(result: SendResult, batch: EncodedBatch): SendResult {
  if (batch.problems.length === 0 || result.kind === 'ok' || result.kind === 'partial' || result.kind === 'too_large') return result;
  const rows = [...batch.sampleIndex, ...batch.logIndex];
  if (result.kind === 'reject') return { kind: 'partial', retry: [], reject: [...batch.problems, ...rows.map((index) => ({ index, reason: result.reason }))] };
  return { kind: 'partial', retry: rows, reject: batch.problems };
}
