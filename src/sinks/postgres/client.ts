// The PostgreSQL side of the sink: the pool (TLS per sslmode), one transaction per batch, and the classification
// of every failure into a SendResult by SQLSTATE. It never sleeps or retries: the SinkRunner owns time.
import { readFileSync } from 'node:fs';
import { Pool, type PoolClient, type PoolConfig } from 'pg';
import { parse as parseConnectionString } from 'pg-connection-string';
import { from as copyFrom } from 'pg-copy-streams';
import type { SendResult } from '../../model/send-result';
import { classifyNetworkError } from '../shared/http';
import { COPY_COLUMNS, logsJson, type EncodedBatch } from './encode';
import { q } from './migrations';
import { SERVER_PARTS, type PostgresConfig } from './schema';

function readPem(field: string, path: string | undefined, where: string): Buffer | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`${where}.${field}: cannot read "${path}" (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

/** sslmode → the `ssl` option of pg (node's tls.connect options), as libpq defines the modes. */
export function sslOptions(cfg: Pick<PostgresConfig, 'sslmode' | 'ca_file' | 'cert_file' | 'key_file'>, where: string): PoolConfig['ssl'] {
  if (cfg.sslmode === 'disable') return false;
  const ca = readPem('ca_file', cfg.ca_file, where);
  const cert = readPem('cert_file', cfg.cert_file, where);
  const key = readPem('key_file', cfg.key_file, where);
  const files = { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
  if (cfg.sslmode === 'require') return { ...files, rejectUnauthorized: false };
  // verify-ca: the chain must lead to ca_file, but the host name is not compared.
  if (cfg.sslmode === 'verify-ca') return { ...files, rejectUnauthorized: true, checkServerIdentity: () => undefined };
  return { ...files, rejectUnauthorized: true };
}

/** The parts of a connection string the schema has already resolved into host, port, user, password and database. */
const RESOLVED = new Set<string>(SERVER_PARTS);

/**
 * Everything else a connection string sets (sslmode and the ssl* files as `ssl`, options, application_name, …),
 * to be merged over the pool config as pg itself would. pg is not given the string: it would also merge the
 * parts the string leaves out, as '' or null, and then connect as $PGUSER or $USER rather than `user`, to
 * $PGPORT rather than `port`, without `password`.
 */
function connectionStringOptions(cfg: PostgresConfig, where: string): Partial<PoolConfig> {
  if (cfg.connection_string === undefined) return {};
  let parsed: ReturnType<typeof parseConnectionString>;
  try {
    parsed = parseConnectionString(cfg.connection_string);
  } catch (err) {
    // The schema has parsed it already; what is left is reading the sslcert/sslkey/sslrootcert files it names.
    throw new Error(`${where}.connection_string: ${err instanceof Error ? err.message : String(err)}`);
  }
  const rest = Object.entries(parsed).filter(([k, v]) => !RESOLVED.has(k) && v !== undefined && v !== null && v !== '');
  // The values are what pg's ConnectionParameters reads from the same parser's output (ssl may be a string such as
  // 'no-verify' there), so they are pg's options even where its typings are narrower.
  return Object.fromEntries(rest) as Partial<PoolConfig>;
}

/** host, port, user, password and database are the values the schema resolved (see postgresSchema). */
export function poolConfig(cfg: PostgresConfig, where: string): PoolConfig {
  return {
    host: cfg.host,
    port: cfg.port,
    user: cfg.user,
    database: cfg.database,
    ...(cfg.password !== undefined ? { password: cfg.password } : {}),
    ssl: sslOptions(cfg, where),
    // Server-side limit a little under the client's, so a slow statement is cancelled, not left running.
    statement_timeout: Math.max(1000, cfg.request.timeout - 1000),
    query_timeout: cfg.request.timeout,
    application_name: 'flink-telemetry-agent',
    // After the connection options, so the connection string's parameters win over them, as when pg merged it…
    ...connectionStringOptions(cfg, where),
    // …and before the pool's own options, which pg-pool never took from the connection string.
    max: cfg.pool_size,
    connectionTimeoutMillis: cfg.request.timeout,
    idleTimeoutMillis: 60_000,
  };
}

/**
 * The statements of a batch. Samples and logs normally go in by binary COPY (`copy`); the series rows, and
 * samples and logs when a COPY meets rows already stored (see insertBatch), are `INSERT … ON CONFLICT DO
 * NOTHING`, so a replayed batch changes nothing. Chosen by measurement (bench/postgres.bench.ts and
 * docs/sinks/postgres.md; PostgreSQL 15 on loopback, 2 cores, 1000-row batches, 2 in flight):
 *   samples  COPY … (FORMAT binary)                   1.6× the unnest INSERT, a third of its client CPU
 *            unnest($1::bigint[], $2::bigint[], $3::float8[])        1.3× COPY→temp→INSERT ON CONFLICT
 *   logs     COPY … (FORMAT binary)                   1.7× the json_to_recordset INSERT, 0.7× its client CPU
 *            json_to_recordset($1::json)            1.4–1.5× unnest of 14 text/jsonb arrays, a third of its CPU
 */
export function insertStatements(schema: string): { series: string; samples: string; logs: string; copy: { samples: string; logs: string } } {
  const s = q(schema);
  const ts = (col: string) => `timestamptz 'epoch' + ${col} * interval '1 millisecond'`;
  return {
    series: `INSERT INTO ${s}.series (id, name, labels) SELECT * FROM unnest($1::bigint[], $2::text[], $3::jsonb[]) ON CONFLICT DO NOTHING`,
    samples: `INSERT INTO ${s}.samples (series_id, ts, value) SELECT u.id, ${ts('u.ms')}, u.v FROM unnest($1::bigint[], $2::bigint[], $3::float8[]) AS u(id, ms, v) ON CONFLICT DO NOTHING`,
    logs: `INSERT INTO ${s}.logs (${COPY_COLUMNS.logs})
      SELECT r.id, ${ts('r.ms')}, r.level, r.logger, r.message, r.thread, r.component, r.stream, r.kind, r.node, r.cluster, r.exception, r.attributes, r.labels
        FROM json_to_recordset($1::json) AS r(id text, ms bigint, level text, logger text, message text, thread text, component text, stream text,
             kind text, node text, cluster text, exception jsonb, attributes jsonb, labels jsonb)
      ON CONFLICT DO NOTHING`,
    copy: {
      samples: `COPY ${s}.samples (${COPY_COLUMNS.samples}) FROM STDIN (FORMAT binary)`,
      logs: `COPY ${s}.logs (${COPY_COLUMNS.logs}) FROM STDIN (FORMAT binary)`,
    },
  };
}

/** How a batch's rows went in: by COPY, or (a replay) by INSERT … ON CONFLICT DO NOTHING. */
export type RowsPath = 'copy' | 'on_conflict';

/**
 * Stores a batch entirely or not at all (one transaction, or one statement), so a retry never half-duplicates.
 *
 * Samples and logs go in by binary COPY, which has no ON CONFLICT clause; but the tables' primary keys
 * ((series_id, ts), (id, ts)) still refuse a row that is already stored, with unique_violation (23505), and the
 * whole COPY (and its transaction) is undone. That happens only when the batch is a replay: after a crash, or a
 * retry of a batch whose COMMIT the server did but whose answer was lost. Then the batch is written again with
 * every statement `ON CONFLICT DO NOTHING`: the rows already there are skipped, the others stored. Idempotent
 * either way; the cost of a replay is one wasted COPY (its rows become dead tuples for vacuum).
 */
export async function insertBatch(client: PoolClient, sql: ReturnType<typeof insertStatements>, b: EncodedBatch): Promise<RowsPath> {
  try {
    await runBatch(client, sql, b, 'copy');
    return 'copy';
  } catch (err) {
    // Only the COPY can raise it: every other statement of the batch is ON CONFLICT DO NOTHING.
    if ((err as { code?: unknown }).code !== '23505') throw err;
  }
  await runBatch(client, sql, b, 'on_conflict');
  return 'on_conflict';
}

async function runBatch(client: PoolClient, sql: ReturnType<typeof insertStatements>, b: EncodedBatch, rowsBy: RowsPath): Promise<void> {
  const copy = rowsBy === 'copy';
  const steps: Array<() => Promise<unknown>> = [];
  if (b.series.id.length) steps.push(() => client.query(sql.series, [b.series.id, b.series.name, b.series.labels]));
  if (b.samples.seriesId.length) {
    steps.push(copy ? () => copyIn(client, sql.copy.samples, b.copy.samples) : () => client.query(sql.samples, [b.samples.seriesId, b.samples.tsMs, b.samples.value]));
  }
  if (b.logs.length) steps.push(copy ? () => copyIn(client, sql.copy.logs, b.copy.logs) : () => client.query(sql.logs, [logsJson(b.logs)]));
  // One statement is atomic on its own (the usual batch: samples of known series, or logs): BEGIN and COMMIT
  // would only add two round trips.
  if (steps.length === 1) {
    await steps[0]!();
    return;
  }
  await client.query('BEGIN');
  try {
    for (const step of steps) await step();
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** Streams `body` into `COPY … FROM STDIN`; resolves once the server has taken it (ReadyForQuery). */
function copyIn(client: PoolClient, copySql: string, body: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const stream = client.query(copyFrom(copySql));
    stream.once('error', reject);
    stream.once('finish', resolve);
    stream.end(body);
  });
}

export function createPool(cfg: PostgresConfig, where: string): Pool {
  return new Pool(poolConfig(cfg, where));
}

/** What the sink does besides answering, when a SQLSTATE says its cached view of the schema is stale. */
export type Staleness = 'schema' | 'partitions' | undefined;

export interface PgFailure {
  result: SendResult;
  stale: Staleness;
}

/**
 * A failure → SendResult, by SQLSTATE class (PostgreSQL manual, appendix A). `who` names the sink and the
 * server (`postgres sink "pg" (postgres@127.0.0.1:5432/telemetry)`) so a log line alone says where to look.
 */
export function classifyPgError(err: unknown, who: string): PgFailure {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  const retry = (reason: string, stale?: Staleness): PgFailure => ({ result: { kind: 'retry', reason: `${who}: ${reason}` }, stale });
  const reject = (reason: string): PgFailure => ({ result: { kind: 'reject', reason: `${who}: ${reason}` }, stale: undefined });
  const tooLarge = (reason: string): PgFailure => ({ result: { kind: 'too_large', reason: `${who}: ${reason}` }, stale: undefined });
  if (code === undefined || !/^[0-9A-Z]{5}$/.test(code)) {
    // No SQLSTATE: the socket failed (refused, reset, DNS, TLS) or the pool/connect timed out. Retried.
    const r = classifyNetworkError(err, who);
    return { result: 'reason' in r ? { kind: 'retry', reason: r.reason } : { kind: 'retry', reason: `${who}: ${message}` }, stale: undefined };
  }
  const cls = code.slice(0, 2);
  // Bad password or role: the operator must fix the config; retrying keeps the data until they do.
  if (cls === '28') return retry(`authentication failed (${code}: ${message}) — check user and password`);
  if (code === '3D000') return retry(`${message} (${code}) — check database / connection_string; the sink does not create databases`);
  // Missing grants are the operator's to fix, like a bad password: keep the data.
  if (code === '42501') return retry(`permission denied (${code}: ${message}) — grant the role CREATE on the database and ownership of the schema`);
  // Someone dropped our schema or a table: migrate again, then retry.
  if (code === '3F000' || code === '42P01') return retry(`${message} (${code}); re-creating the schema`, 'schema');
  // "no partition of relation … found for row": a partition was dropped under us; re-create it, then retry.
  if (code === '23514' && /partition/i.test(message)) return retry(`${message} (${code}); re-creating partitions`, 'partitions');
  // Connection exceptions (08), shutdown / cannot connect now (57P0x), out of resources (53: too many connections,
  // disk full), serialization failure or deadlock (40), lock timeout (55P03), statement timeout (57014): transient.
  if (cls === '08' || cls === '53' || cls === '40' || code.startsWith('57P') || code === '55P03' || code === '57014') {
    return retry(`${message} (${code})`);
  }
  // Program limits (54: an index entry over 2704 bytes, too many arguments): a property of the request, like HTTP
  // 413. The runner halves the batch until the one record the server refuses is alone, and dead-letters only it,
  // with these words. The encoder refuses the entries it can foresee (see MAX_LOG_ID_BYTES); this catches the rest,
  // e.g. an index an operator added on message.
  if (cls === '54') return tooLarge(`${message} (${code})`);
  // Data exceptions (22: bad value, encoding), syntax/access rule violations (42) and integrity violations (23):
  // the same rows fail again; dead-letter them with the server's words.
  if (cls === '22' || cls === '42' || cls === '23') return reject(`${message} (${code})`);
  // Anything else (internal error XX, system error 58, …): the server may recover.
  return retry(`${message} (${code})`);
}
