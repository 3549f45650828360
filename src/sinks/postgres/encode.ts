// Records → what the inserts bind: samples as column arrays for `INSERT … SELECT FROM unnest($1::bigint[], …)`,
// logs as one JSON array for `json_to_recordset($1::json)`. Either way one bind parameter per column (or one in
// all) whatever the row count, and a constant SQL text. Why two shapes: see insertStatements in client.ts.
import type { LogRecord, Sample, TelemetryRecord } from '../../model';
import { dayStart } from '../shared/days';
import { seriesId64 } from '../shared/series-id';

export interface SeriesColumns {
  id: string[];
  name: string[];
  labels: string[];
}

export interface SampleColumns {
  seriesId: string[];
  tsMs: number[];
  /** NaN and ±Infinity travel as the strings 'NaN'/'Infinity', which float8 accepts. */
  value: number[];
}

/** One logs row; keys match the column list of json_to_recordset in insertStatements. */
export interface LogRow {
  id: string;
  ms: number;
  level: string;
  logger: string | null;
  message: string;
  thread: string | null;
  component: string | null;
  stream: string | null;
  kind: string;
  node: string | null;
  cluster: string | null;
  exception: LogRecord['exception'] | null;
  attributes: Record<string, string>;
  labels: Record<string, string>;
}

export interface EncodedBatch {
  /** Series not yet known to be stored (the caller's cache decides); inserted first, ON CONFLICT DO NOTHING. */
  series: SeriesColumns;
  samples: SampleColumns;
  logs: LogRow[];
  /** Batch index of each sample row, then of each log row (to map a failure back to records). */
  sampleIndex: number[];
  logIndex: number[];
  /** UTC day starts present per table: their partitions must exist before the insert. */
  sampleDays: Set<number>;
  logDays: Set<number>;
  /** Records that cannot be stored at all (an impossible timestamp): rejected, the rest still goes. */
  problems: Array<{ index: number; reason: string }>;
}

/** PostgreSQL timestamptz covers 4713 BC … 294276 AD; keep well inside and refuse obvious garbage (NaN, 1e20). */
const MIN_TS = Date.UTC(1900, 0, 1);
const MAX_TS = Date.UTC(9999, 0, 1);

/** PostgreSQL text and jsonb cannot hold U+0000: it becomes U+FFFD rather than failing the whole batch. */
function clean(s: string): string {
  return s.includes('\u0000') ? s.replaceAll('\u0000', '\uFFFD') : s;
}
const json = (v: unknown): string => clean(JSON.stringify(v));

/**
 * The logs rows as the one JSON parameter. A U+0000 anywhere in a row arrives as the escape `\u0000`, which
 * PostgreSQL refuses in text and jsonb; it is rewritten to `\ufffd`, unless its backslash is itself escaped
 * (a literal "\u0000" typed in a message stays as it is). One pass over the text, only when it has one.
 */
export function logsJson(rows: readonly LogRow[]): string {
  const text = JSON.stringify(rows);
  return text.includes('\\u0000') ? text.replace(/(?<!\\)((?:\\\\)*)\\u0000/g, '$1\\ufffd') : text;
}

export function emptyBatch(): EncodedBatch {
  return {
    series: { id: [], name: [], labels: [] },
    samples: { seriesId: [], tsMs: [], value: [] },
    logs: [],
    sampleIndex: [],
    logIndex: [],
    sampleDays: new Set(),
    logDays: new Set(),
    problems: [],
  };
}

function addSample(out: EncodedBatch, s: Sample, index: number, knownSeries: SeriesCache): void {
  const id = knownSeries.idOf(s.name, s.labels, (newId) => {
    out.series.id.push(newId);
    out.series.name.push(clean(s.name));
    out.series.labels.push(json(s.labels));
  });
  out.samples.seriesId.push(id);
  out.samples.tsMs.push(Math.trunc(s.timestampMs));
  out.samples.value.push(s.value);
  out.sampleIndex.push(index);
  out.sampleDays.add(dayStart(s.timestampMs));
}

function addLog(out: EncodedBatch, r: LogRecord, index: number): void {
  const { cluster, node, ...labels } = r.labels;
  out.logs.push({
    id: r.id,
    ms: Math.trunc(r.timestampMs),
    level: r.level,
    logger: r.logger ?? null,
    message: r.message,
    thread: r.thread ?? null,
    component: r.component ?? null,
    stream: r.stream ?? null,
    kind: r.logKind,
    node: node ?? null,
    cluster: cluster ?? null,
    exception: r.exception ?? null,
    attributes: r.attributes,
    labels,
  });
  out.logIndex.push(index);
  out.logDays.add(dayStart(r.timestampMs));
}

export function encodeBatch(records: readonly TelemetryRecord[], knownSeries: SeriesCache): EncodedBatch {
  const out = emptyBatch();
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (!(r.timestampMs >= MIN_TS && r.timestampMs < MAX_TS)) {
      out.problems.push({ index: i, reason: `timestamp ${r.timestampMs} is outside 1900…9999 and cannot be stored` });
      continue;
    }
    if (r.kind === 'sample') addSample(out, r, i, knownSeries);
    else addLog(out, r, i);
  }
  return out;
}

/**
 * Series ids by series key, and which of them are known to be stored, so a steady stream of samples does not
 * re-send its (name, labels jsonb) rows with every batch. Only committed ids are marked stored (settle);
 * bounded: cleared when it grows past `max` entries, which only costs a few redundant series rows.
 */
export class SeriesCache {
  private readonly ids = new Map<string, string>();
  private readonly stored = new Set<string>();
  private readonly pending = new Set<string>();
  constructor(private readonly max = 200_000) {}

  /** The id of (name, labels); calls `onNew` once per batch for a series not known to be stored. */
  idOf(name: string, labels: Sample['labels'], onNew: (id: string) => void): string {
    const key = name + '\u0000' + JSON.stringify(labels);
    let id = this.ids.get(key);
    if (id === undefined) {
      if (this.ids.size >= this.max) this.clear();
      id = seriesId64(name, labels);
      this.ids.set(key, id);
    }
    if (!this.stored.has(id) && !this.pending.has(id)) {
      this.pending.add(id);
      onNew(id);
    }
    return id;
  }

  /**
   * After the batch's transaction: on COMMIT its new series rows exist; on ROLLBACK they are forgotten and sent
   * again with the next batch that has them. Per batch, so concurrent sends never settle each other's rows.
   */
  settle(newIds: readonly string[], committed: boolean): void {
    for (const id of newIds) {
      this.pending.delete(id);
      if (committed) this.stored.add(id);
    }
  }

  clear(): void {
    this.ids.clear();
    this.stored.clear();
    this.pending.clear();
  }
}
