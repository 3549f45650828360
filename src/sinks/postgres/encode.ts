// Records → column arrays, the shape `INSERT … SELECT FROM unnest($1::…[], …)` takes: one bind parameter per
// column whatever the row count, and a constant SQL text the server plans once per connection.
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

export interface LogColumns {
  id: string[];
  tsMs: number[];
  level: string[];
  logger: Array<string | null>;
  message: string[];
  thread: Array<string | null>;
  component: Array<string | null>;
  stream: Array<string | null>;
  logKind: string[];
  node: Array<string | null>;
  cluster: Array<string | null>;
  exception: Array<string | null>;
  attributes: string[];
  labels: string[];
}

export interface EncodedBatch {
  /** Series not yet known to be stored (the caller's cache decides); inserted first, ON CONFLICT DO NOTHING. */
  series: SeriesColumns;
  samples: SampleColumns;
  logs: LogColumns;
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
const opt = (s: string | undefined): string | null => (s === undefined ? null : clean(s));
const json = (v: unknown): string => clean(JSON.stringify(v));

export function emptyBatch(): EncodedBatch {
  return {
    series: { id: [], name: [], labels: [] },
    samples: { seriesId: [], tsMs: [], value: [] },
    logs: { id: [], tsMs: [], level: [], logger: [], message: [], thread: [], component: [], stream: [], logKind: [], node: [], cluster: [], exception: [], attributes: [], labels: [] },
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
  const L = out.logs;
  const { cluster, node, ...labels } = r.labels;
  L.id.push(clean(r.id));
  L.tsMs.push(Math.trunc(r.timestampMs));
  L.level.push(r.level);
  L.logger.push(opt(r.logger));
  L.message.push(clean(r.message));
  L.thread.push(opt(r.thread));
  L.component.push(opt(r.component));
  L.stream.push(opt(r.stream));
  L.logKind.push(r.logKind);
  L.node.push(opt(node));
  L.cluster.push(opt(cluster));
  L.exception.push(r.exception ? json(r.exception) : null);
  L.attributes.push(json(r.attributes));
  L.labels.push(json(labels));
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
