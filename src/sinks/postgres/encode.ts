// Records → what the statements send. Samples and logs each twice: as a binary COPY body (the usual path), and
// for `INSERT … ON CONFLICT DO NOTHING` (the replay path) as column arrays for `unnest($1::bigint[], …)`
// (samples) and one JSON array for `json_to_recordset($1::json)` (logs). New series rows as column arrays for
// unnest. Why these shapes: see insertStatements and insertBatch in client.ts.
import type { LogRecord, Sample, TelemetryRecord } from '../../model';
import { dayStart } from '../shared/days';
import { SeriesCache } from '../shared/series-cache';
import { seriesId64 } from '../shared/series-id';
import { CopyBinaryWriter, int64Halves, type Int64Halves } from './copy-binary';

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

/** The columns of the binary COPY bodies, in the order the encoder writes the fields. */
export const COPY_COLUMNS = {
  samples: 'series_id, ts, value',
  logs: 'id, ts, level, logger, message, thread, component, stream, log_kind, node, cluster, exception, attributes, labels',
} as const;
const SAMPLE_FIELDS = 3;
const LOG_FIELDS = 14;
/** First-buffer sizes per row (the writers grow past them): a sample row is 38 bytes; Flink log rows ~400–600. */
const SAMPLE_ROW_BYTES = 38;
const LOG_ROW_BYTES_HINT = 512;
const NO_ROWS = Buffer.alloc(0);

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
  /** The same sample and log rows as bodies of `COPY … (COPY_COLUMNS) FROM STDIN (FORMAT binary)`. */
  copy: { samples: Buffer; logs: Buffer };
  /** Batch index of each sample row, then of each log row (to map a failure back to records). */
  sampleIndex: number[];
  logIndex: number[];
  /** UTC day starts present per table: their partitions must exist before the insert. */
  sampleDays: Set<number>;
  logDays: Set<number>;
  /** Records that cannot be stored (an impossible timestamp, a value that is no number, a log without a required
   * text, an id or metric name too long for its index): rejected with the reason, the rest still goes. */
  problems: Array<{ index: number; reason: string }>;
}

/** PostgreSQL timestamptz covers 4713 BC … 294276 AD; keep well inside and refuse obvious garbage (NaN, 1e20). */
const MIN_TS = Date.UTC(1900, 0, 1);
const MAX_TS = Date.UTC(9999, 0, 1);

/**
 * PostgreSQL text and jsonb cannot hold U+0000: it becomes U+FFFD rather than failing the whole batch. A lone
 * UTF-16 surrogate (a line cut mid-character, a bad decoder upstream) needs nothing here: every path to the server
 * encodes text as UTF-8 with Buffer.write (CopyBinaryWriter.text, and pg's protocol writer for parameters), which
 * writes it as U+FFFD, what toWellFormed() would give, without a second pass over every field.
 */
function clean(s: string): string {
  return s.includes('\u0000') ? s.replaceAll('\u0000', '\uFFFD') : s;
}
const cleanOrNull = (s: string | null): string | null => (s === null ? null : clean(s));

/**
 * JSON text PostgreSQL accepts as json and jsonb. JSON.stringify writes U+0000 as the escape `\u0000` and a lone
 * surrogate as `\ud800`…`\udfff` (a well-formed pair it writes as it is, so such an escape is always lone); jsonb
 * refuses both (22P02), so each becomes `\ufffd` — unless its backslash is itself escaped (a literal "\u0000"
 * typed in a message stays as it is). The regex runs only on text that has one of them.
 */
export function jsonText(value: unknown): string {
  const text = JSON.stringify(value);
  return text.includes('\\u0000') || text.includes('\\ud') ? text.replace(/(?<!\\)((?:\\\\)*)\\u(?:0000|d[89a-f][0-9a-f]{2})/g, '$1\\ufffd') : text;
}

/** The logs rows as the one JSON parameter of json_to_recordset. */
export function logsJson(rows: readonly LogRow[]): string {
  return jsonText(rows);
}

export function emptyBatch(): EncodedBatch {
  return {
    series: { id: [], name: [], labels: [] },
    samples: { seriesId: [], tsMs: [], value: [] },
    logs: [],
    copy: { samples: NO_ROWS, logs: NO_ROWS },
    sampleIndex: [],
    logIndex: [],
    sampleDays: new Set(),
    logDays: new Set(),
    problems: [],
  };
}

function addSample(out: EncodedBatch, copy: CopyBinaryWriter, s: Sample, index: number, knownSeries: StoredSeries): void {
  const series = knownSeries.idOf(s.name, s.labels, (newId) => {
    out.series.id.push(newId);
    out.series.name.push(clean(s.name));
    out.series.labels.push(jsonText(s.labels));
  });
  const ms = Math.trunc(s.timestampMs);
  out.samples.seriesId.push(series.id);
  out.samples.tsMs.push(ms);
  out.samples.value.push(s.value);
  copy.row(SAMPLE_FIELDS);
  copy.int64(series);
  copy.timestamptz(ms);
  copy.float8(s.value);
  out.sampleIndex.push(index);
  out.sampleDays.add(dayStart(ms));
}

function addLog(out: EncodedBatch, copy: CopyBinaryWriter, r: LogRecord, index: number): void {
  const { cluster, node, ...labels } = r.labels;
  const row: LogRow = {
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
  };
  out.logs.push(row);
  // In the order of COPY_COLUMNS.logs.
  copy.row(LOG_FIELDS);
  copy.text(clean(row.id));
  copy.timestamptz(row.ms);
  copy.text(clean(row.level));
  copy.text(cleanOrNull(row.logger));
  copy.text(clean(row.message));
  copy.text(cleanOrNull(row.thread));
  copy.text(cleanOrNull(row.component));
  copy.text(cleanOrNull(row.stream));
  copy.text(clean(row.kind));
  copy.text(cleanOrNull(row.node));
  copy.text(cleanOrNull(row.cluster));
  copy.jsonb(row.exception === null ? null : jsonText(row.exception));
  copy.jsonb(jsonText(row.attributes));
  copy.jsonb(jsonText(row.labels));
  out.logIndex.push(index);
  out.logDays.add(dayStart(row.ms));
}

/**
 * The longest values PostgreSQL's btree indexes take, in UTF-8 bytes. A btree entry may be at most 2704 bytes
 * (BTMaxItemSize: a third of an 8 KiB page less its overhead, less room for a heap TID); a longer one fails with
 * program_limit_exceeded (54000), and with it the whole batch's transaction. The entry is an 8-byte tuple header,
 * then each key: text with its 4-byte length header, padded to 8 bytes, then a timestamptz of 8. So:
 *   logs    PRIMARY KEY (id, ts)  2704 - 8 - 4 - 8 = 2684 bytes of id
 *   series  INDEX (name)          2704 - 8 - 4     = 2692 bytes of name
 * Measured on PostgreSQL 15 with incompressible text: 2684 and 2692 bytes are stored, one byte more is refused.
 * PostgreSQL compresses a long key before it gives up, so a repetitive value over the limit may fit; the agent
 * cannot tell which will, and refuses by length alone. The other columns need no check: none is btree-indexed,
 * and the GIN index on series labels (jsonb_ops) stores a key or value over 125 bytes as its hash (measured: a
 * 1 MiB label value is stored); a long message or attribute is TOASTed.
 */
export const MAX_LOG_ID_BYTES = 2684;
export const MAX_SERIES_NAME_BYTES = 2692;

/**
 * The UTF-8 size of `s` as sent, when it is over `max`. A UTF-16 code unit is at most 3 bytes of UTF-8 (also U+FFFD,
 * which replaces NUL and lone surrogates), so the usual short text is answered from its length, without encoding.
 */
function bytesOver(s: string, max: number): number | undefined {
  if (s.length * 3 <= max) return undefined;
  const bytes = Buffer.byteLength(clean(s));
  return bytes > max ? bytes : undefined;
}

/** The start of a value too long to quote whole in a reason; the dead-letter line holds the record. */
const head = (s: string): string => JSON.stringify(s.length > 64 ? `${s.slice(0, 64)}…` : s);

/** Why PostgreSQL's indexes would refuse this log record (see MAX_LOG_ID_BYTES), if they would. */
function oversizeLog(r: LogRecord): string | undefined {
  const bytes = bytesOver(r.id, MAX_LOG_ID_BYTES);
  if (bytes === undefined) return undefined;
  return `log id ${head(r.id)} is ${bytes} bytes; the logs primary key (id, ts) takes at most ${MAX_LOG_ID_BYTES} bytes of id (PostgreSQL's btree limit of 2704 bytes per index entry) — shorten the id where it is made (the source, or a transform)`;
}

/** Why PostgreSQL's indexes would refuse this sample's series row (see MAX_SERIES_NAME_BYTES), if they would. */
function oversizeSample(s: Sample): string | undefined {
  const bytes = bytesOver(s.name, MAX_SERIES_NAME_BYTES);
  if (bytes === undefined) return undefined;
  return `metric name ${head(s.name)} is ${bytes} bytes; the series index on name takes at most ${MAX_SERIES_NAME_BYTES} bytes (PostgreSQL's btree limit of 2704 bytes per index entry) — drop the metric with a filter transform (metrics.drop)`;
}

/**
 * Which NOT NULL text column of the logs table the record has no string for. Refused here, by name, rather than
 * failing the whole batch's COPY (or worse, being written as "undefined").
 */
function missingText(r: LogRecord): string | undefined {
  if (typeof r.id !== 'string') return 'id';
  if (typeof r.level !== 'string') return 'level';
  if (typeof r.message !== 'string') return 'message';
  if (typeof r.logKind !== 'string') return 'logKind';
  return undefined;
}

export function encodeBatch(records: readonly TelemetryRecord[], knownSeries: StoredSeries): EncodedBatch {
  const out = emptyBatch();
  let samples: CopyBinaryWriter | undefined;
  let logs: CopyBinaryWriter | undefined;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (!(r.timestampMs >= MIN_TS && r.timestampMs < MAX_TS)) {
      out.problems.push({ index: i, reason: `timestamp ${r.timestampMs} is outside 1900…9999 and cannot be stored` });
      continue;
    }
    if (r.kind === 'log') {
      const missing = missingText(r);
      const problem = missing ? `log record ${JSON.stringify(r.id)} has no ${missing} (text), which the logs table requires` : oversizeLog(r);
      if (problem) out.problems.push({ index: i, reason: problem });
      else addLog(out, (logs ??= new CopyBinaryWriter((records.length - i) * LOG_ROW_BYTES_HINT)), r, i);
      continue;
    }
    // Binary COPY writes the value as a float8 itself: anything but a number would silently become NaN there.
    // Checked before addSample, because that marks the series as on its way to the server.
    const problem = typeof r.value !== 'number' ? `value ${JSON.stringify(r.value)} of ${r.name} is not a number` : oversizeSample(r);
    if (problem) out.problems.push({ index: i, reason: problem });
    else addSample(out, (samples ??= new CopyBinaryWriter((records.length - i) * SAMPLE_ROW_BYTES + 64)), r, i, knownSeries);
  }
  out.copy = { samples: samples?.finish() ?? NO_ROWS, logs: logs?.finish() ?? NO_ROWS };
  return out;
}

/** A series' id as PostgreSQL `bigint` text (unnest, series rows) and as the halves binary COPY writes. */
export interface SeriesRef extends Int64Halves {
  id: string;
}

/**
 * Series ids (hashed once per series through the shared SeriesCache), and which of them are known to be stored, so
 * a steady stream of samples does not re-send its (name, labels jsonb) rows with every batch. Only committed ids
 * are marked stored (settle); bounded: cleared when it grows past `max` entries, which only costs a few redundant
 * series rows.
 */
export class StoredSeries {
  private refs: SeriesCache<SeriesRef>;
  private readonly stored = new Set<string>();
  private readonly pending = new Set<string>();
  constructor(private readonly max = 200_000) {
    this.refs = StoredSeries.refCache(max);
  }

  private static refCache(max: number): SeriesCache<SeriesRef> {
    return new SeriesCache((name, labels) => {
      const id = seriesId64(name, labels);
      return { id, ...int64Halves(id) };
    }, max);
  }

  /** The id of (name, labels); calls `onNew` once per batch for a series not known to be stored. */
  idOf(name: string, labels: Sample['labels'], onNew: (id: string) => void): SeriesRef {
    // Past `max` distinct series the shared cache starts over, and what was known stored with it (series churn:
    // restarted jobs bring new ids; forgetting costs a few redundant series rows). Refs are immutable, so a
    // trim in the middle of a batch only re-derives.
    if (this.refs.trim()) {
      this.stored.clear();
      this.pending.clear();
    }
    const ref = this.refs.get(name, labels);
    if (!this.stored.has(ref.id) && !this.pending.has(ref.id)) {
      this.pending.add(ref.id);
      onNew(ref.id);
    }
    return ref;
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
    this.refs = StoredSeries.refCache(this.max);
    this.stored.clear();
    this.pending.clear();
  }
}
