// The sink's own schema: versioned migrations recorded in <schema>.schema_migrations and applied under an
// advisory lock, so a fleet of agents starting at once migrates exactly once; daily partitions created ahead and
// on demand, and dropped past retention.
//
//   series  (id bigint PK = hash of name + sorted labels, name, labels jsonb GIN)      one row per series
//   samples (series_id, ts, value)          PK (series_id, ts)   PARTITION BY RANGE (ts): samples_pYYYYMMDD
//   logs    (id, ts, level, …, exception jsonb, attributes jsonb)  PK (id, ts)  PARTITION BY RANGE (ts): logs_pYYYYMMDD
//   metrics (view: samples joined to series, for ad-hoc SQL and Grafana)
import type { ClientBase } from 'pg';
import { DAY_MS, dayStart, formatDay, isExpiredDay, parseDay } from '../shared/days';

export const PARTITIONED_TABLES = ['samples', 'logs'] as const;
export type PartitionedTable = (typeof PARTITIONED_TABLES)[number];

/** `"flink_telemetry"`: the schema option is validated as a plain identifier; quoting guards keywords. */
export const q = (ident: string): string => `"${ident}"`;

interface Migration {
  version: number;
  description: string;
  statements: (s: string) => string[];
}

/** Append-only: a shipped migration never changes; a change is a new version. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'series, samples, logs (daily partitions), metrics view',
    statements: (s) => [
      `CREATE TABLE ${s}.series (id bigint PRIMARY KEY, name text NOT NULL, labels jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`,
      `CREATE INDEX series_labels_gin ON ${s}.series USING gin (labels)`,
      `CREATE INDEX series_name ON ${s}.series (name)`,
      `CREATE TABLE ${s}.samples (series_id bigint NOT NULL, ts timestamptz NOT NULL, value double precision, PRIMARY KEY (series_id, ts)) PARTITION BY RANGE (ts)`,
      `CREATE TABLE ${s}.logs (id text NOT NULL, ts timestamptz NOT NULL, level text NOT NULL, logger text, message text NOT NULL,
         thread text, component text, stream text, log_kind text NOT NULL, node text, cluster text,
         exception jsonb, attributes jsonb NOT NULL, labels jsonb NOT NULL, PRIMARY KEY (id, ts)) PARTITION BY RANGE (ts)`,
      `CREATE INDEX logs_ts ON ${s}.logs (ts)`,
      `CREATE VIEW ${s}.metrics AS SELECT s.ts, se.name, se.labels, s.value FROM ${s}.samples s JOIN ${s}.series se ON se.id = s.series_id`,
    ],
  },
];

/** One lock key per schema: agents writing to different schemas never wait for each other. */
const LOCK_SQL = `SELECT pg_advisory_xact_lock(hashtext('flink-telemetry-agent:' || $1))`;

async function inLockedTransaction<T>(client: ClientBase, schema: string, fn: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    await client.query(LOCK_SQL, [schema]);
    const out = await fn();
    await client.query('COMMIT');
    return out;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** Applies the missing migrations in one transaction (DDL is transactional); returns the versions applied. */
export async function migrate(client: ClientBase, schema: string): Promise<number[]> {
  const s = q(schema);
  return inLockedTransaction(client, schema, async () => {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (version int PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set((await client.query<{ version: number }>(`SELECT version FROM ${s}.schema_migrations`)).rows.map((r) => r.version));
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      for (const sql of m.statements(s)) await client.query(sql);
      await client.query(`INSERT INTO ${s}.schema_migrations (version, description) VALUES ($1, $2)`, [m.version, m.description]);
      applied.push(m.version);
    }
    return applied;
  });
}

export function partitionName(table: PartitionedTable, dayStartMs: number): string {
  return `${table}_p${formatDay(dayStartMs, '')}`;
}

/** Creates the daily partitions of `table` for `days` (day starts) that do not exist yet. */
export async function ensurePartitions(client: ClientBase, schema: string, table: PartitionedTable, days: Iterable<number>): Promise<void> {
  const s = q(schema);
  await inLockedTransaction(client, schema, async () => {
    for (const day of days) {
      const from = new Date(dayStart(day)).toISOString();
      const to = new Date(dayStart(day) + DAY_MS).toISOString();
      await client.query(`CREATE TABLE IF NOT EXISTS ${s}.${q(partitionName(table, day))} PARTITION OF ${s}.${table} FOR VALUES FROM ('${from}') TO ('${to}')`);
    }
  });
}

/** Today and `ahead` days after it: a running agent never waits for a CREATE at midnight. */
export function daysAhead(ahead: number, now = Date.now()): number[] {
  return Array.from({ length: ahead + 1 }, (_, i) => dayStart(now) + i * DAY_MS);
}

/** Drops the partitions of samples and logs whose day is past retention. Returns the dropped table names. */
export async function dropExpiredPartitions(client: ClientBase, schema: string, retentionDays: number, now = Date.now()): Promise<string[]> {
  if (retentionDays <= 0) return [];
  const res = await client.query<{ child: string }>(
    `SELECT c.relname AS child FROM pg_inherits i
       JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
       JOIN pg_namespace n ON n.oid = p.relnamespace
      WHERE n.nspname = $1 AND p.relname = ANY($2::text[])`,
    [schema, PARTITIONED_TABLES],
  );
  const expired = res.rows
    .map((r) => r.child)
    .filter((name) => {
      const m = /_p(\d{8})$/.exec(name);
      const day = m ? parseDay(m[1]!, '') : undefined;
      return day !== undefined && isExpiredDay(day, retentionDays, now);
    })
    .sort();
  if (expired.length === 0) return [];
  // DROP, not DELETE: instant, and no vacuum debt. Under the schema lock so a concurrent on-demand CREATE of the
  // same day cannot interleave.
  await inLockedTransaction(client, schema, async () => {
    for (const name of expired) await client.query(`DROP TABLE IF EXISTS ${q(schema)}.${q(name)}`);
  });
  return expired;
}
