// Records → `_bulk` NDJSON. Every document is a `create` with the record's deterministic `_id`, so a replay after
// an ambiguous failure answers 409 (already there) instead of storing a duplicate.
import { createHash } from 'node:crypto';
import type { LogRecord, Sample, TelemetryRecord } from '../../model';
import { dayStart, formatDay } from '../shared/days';
import { sampleDocId } from '../shared/series-id';

export interface IndexNaming {
  logsPrefix: string;
  metricsPrefix: string;
  dataStream: boolean;
}

/** Attributes promoted to top-level keyword fields: the ones dashboards filter on. */
const PROMOTED_ATTRIBUTES = ['job_id', 'task_name', 'checkpoint_id'] as const;
/** Labels promoted to top-level fields; the other labels stay under `labels.*`. */
const PROMOTED_LABELS = ['cluster', 'node'] as const;
/** OpenSearch refuses an `_id` longer than 512 bytes (since 2.9). */
const MAX_ID_BYTES = 512;

function splitOut(source: Record<string, string>, keys: readonly string[], into: Record<string, unknown>): Record<string, string> {
  let rest: Record<string, string> | undefined;
  for (const k of keys) {
    if (source[k] === undefined) continue;
    into[k] = source[k];
    rest ??= { ...source };
    delete rest[k];
  }
  return rest ?? source;
}

export function logDocument(r: LogRecord): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    '@timestamp': new Date(r.timestampMs).toISOString(),
    level: r.level,
    message: r.message,
    log_kind: r.logKind,
  };
  if (r.logger !== undefined) doc.logger = r.logger;
  if (r.thread !== undefined) doc.thread = r.thread;
  if (r.component !== undefined) doc.component = r.component;
  if (r.stream !== undefined) doc.stream = r.stream;
  if (r.exception) doc.exception = r.exception;
  const labels = splitOut(r.labels, PROMOTED_LABELS, doc);
  const attributes = splitOut(r.attributes, PROMOTED_ATTRIBUTES, doc);
  doc.labels = labels;
  doc.attributes = attributes;
  return doc;
}

export function sampleDocument(s: Sample): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    '@timestamp': new Date(s.timestampMs).toISOString(),
    name: s.name,
    // JSON has no NaN/Infinity; a null value keeps the point (and its timestamp) visible as a gap.
    value: Number.isFinite(s.value) ? s.value : null,
  };
  if (s.metricType) doc.metric_type = s.metricType;
  doc.labels = splitOut(s.labels, PROMOTED_LABELS, doc);
  return doc;
}

export function documentId(r: TelemetryRecord): string {
  if (r.kind === 'sample') return sampleDocId(r.name, r.labels, r.timestampMs);
  // Ids over 512 bytes are hashed; still deterministic, so the 409 path keeps working.
  if (r.id.length * 3 > MAX_ID_BYTES && Buffer.byteLength(r.id) > MAX_ID_BYTES) return createHash('sha256').update(r.id).digest('hex');
  return r.id;
}

/**
 * Index names by record time. Daily names are cached per prefix and day: a batch nearly always spans one or two
 * days, and formatting a date per record would cost more than the rest of the action line.
 */
export class IndexNamer {
  private readonly cache = new Map<string, string>();
  constructor(private readonly naming: IndexNaming) {}

  indexFor(r: TelemetryRecord): string {
    const prefix = r.kind === 'sample' ? this.naming.metricsPrefix : this.naming.logsPrefix;
    if (this.naming.dataStream) return prefix;
    const key = prefix + '|' + dayStart(r.timestampMs);
    let name = this.cache.get(key);
    if (name === undefined) {
      if (this.cache.size > 64) this.cache.clear();
      name = `${prefix}-${formatDay(r.timestampMs, '.')}`;
      this.cache.set(key, name);
    }
    return name;
  }
}

export interface EncodeProblem {
  index: number;
  reason: string;
}

/**
 * The NDJSON body for `records` (trailing newline included, as _bulk requires) and the records that cannot be
 * sent at all (a timestamp that is not a date). `sent[i]` is the batch index of the i-th bulk item.
 */
export function encodeBulk(records: readonly TelemetryRecord[], namer: IndexNamer): { body: string; sent: number[]; problems: EncodeProblem[] } {
  let body = '';
  const sent: number[] = [];
  const problems: EncodeProblem[] = [];
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (!Number.isFinite(r.timestampMs) || Math.abs(r.timestampMs) > 8.64e15) {
      problems.push({ index: i, reason: `timestamp ${r.timestampMs} is not a valid date` });
      continue;
    }
    const doc = r.kind === 'sample' ? sampleDocument(r) : logDocument(r);
    body += `{"create":{"_index":${JSON.stringify(namer.indexFor(r))},"_id":${JSON.stringify(documentId(r))}}}\n${JSON.stringify(doc)}\n`;
    sent.push(i);
  }
  return { body, sent, problems };
}
