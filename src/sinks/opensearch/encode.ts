// Records → `_bulk` NDJSON. Every document is a `create` with the record's deterministic `_id`, so a replay after
// an ambiguous failure answers 409 (already there) instead of storing a duplicate.
import { createHash } from 'node:crypto';
import type { LogRecord, Sample, TelemetryRecord } from '../../model';
import { DAY_MS, dayStart, formatDay } from '../shared/days';
import { sampleDocId } from '../shared/series-id';
import { BodyBuffer } from './body-buffer';

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

const json = JSON.stringify;

/** Year 10000: from there on toISOString writes a six-digit, signed year. */
const ISO_FAST_LIMIT_MS = 253_402_300_800_000;
/** `.000Z` … `.999Z`: the end of a timestamp is one concatenation. */
const ISO_MILLIS = Array.from({ length: 1000 }, (_, ms) => `.${String(ms).padStart(3, '0')}Z`);
let isoSecond = Number.NaN;
let isoPrefix = '';

/**
 * `new Date(ms).toISOString()`. Formatting the date was a quarter of encoding a log document; records arrive in
 * time order, so the text up to the second is reused and only the milliseconds are appended.
 */
function isoTime(ms: number): string {
  if (!Number.isInteger(ms) || ms < 0 || ms >= ISO_FAST_LIMIT_MS) return new Date(ms).toISOString();
  const second = Math.floor(ms / 1000);
  if (second !== isoSecond) {
    isoSecond = second;
    isoPrefix = new Date(second * 1000).toISOString().slice(0, 19); // 2026-11-24T23:00:00
  }
  return isoPrefix + ISO_MILLIS[ms - second * 1000]!;
}

/** `source` without `keys`: the same object when it has none of them (the usual case for attributes). */
function without(source: Record<string, string>, keys: readonly string[]): Record<string, string> {
  let found = false;
  for (const k of keys) found ||= source[k] !== undefined;
  if (!found) return source;
  const rest: Record<string, string> = {};
  for (const k of Object.keys(source)) if (!keys.includes(k)) rest[k] = source[k]!;
  return rest;
}

/**
 * `fn` remembering its last answer. The records of one file share one labels object (see the flink_logs source),
 * and records are immutable once emitted, so the labels left after promotion are worked out once per file.
 */
function lastOf<A extends object, R>(fn: (a: A) => R): (a: A) => R {
  let lastArg: A | undefined;
  let lastResult!: R;
  return (a) => {
    if (a !== lastArg) {
      lastResult = fn(a);
      lastArg = a;
    }
    return lastResult;
  };
}

const labelsLeft = lastOf((labels: Record<string, string>) => without(labels, PROMOTED_LABELS));

/**
 * The document of a log record. Every key is always set (JSON.stringify leaves out the undefined ones), so all
 * documents share one object shape and JSON.stringify takes V8's fast path: this runs once per log line.
 */
export function logDocument(r: LogRecord): Record<string, unknown> {
  return {
    '@timestamp': isoTime(r.timestampMs),
    level: r.level,
    message: r.message,
    log_kind: r.logKind,
    logger: r.logger,
    thread: r.thread,
    component: r.component,
    stream: r.stream,
    exception: r.exception || undefined,
    // PROMOTED_LABELS, then PROMOTED_ATTRIBUTES, spelled out for the fixed shape: keep them in step.
    cluster: r.labels.cluster,
    node: r.labels.node,
    job_id: r.attributes.job_id,
    task_name: r.attributes.task_name,
    checkpoint_id: r.attributes.checkpoint_id,
    labels: labelsLeft(r.labels),
    attributes: without(r.attributes, PROMOTED_ATTRIBUTES),
  };
}

export function sampleDocument(s: Sample): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    '@timestamp': new Date(s.timestampMs).toISOString(),
    name: s.name,
    // JSON has no NaN/Infinity; a null value keeps the point (and its timestamp) visible as a gap.
    value: Number.isFinite(s.value) ? s.value : null,
  };
  if (s.metricType) doc.metric_type = s.metricType;
  for (const k of PROMOTED_LABELS) if (s.labels[k] !== undefined) doc[k] = s.labels[k];
  doc.labels = without(s.labels, PROMOTED_LABELS);
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
  /** The last answer, by record kind and the day it covers: consecutive records nearly always share it. */
  private last = { prefix: '', dayStart: Number.NaN, name: '' };
  constructor(private readonly naming: IndexNaming) {}

  indexFor(r: TelemetryRecord): string {
    const prefix = r.kind === 'sample' ? this.naming.metricsPrefix : this.naming.logsPrefix;
    if (this.naming.dataStream) return prefix;
    const last = this.last;
    if (prefix === last.prefix && r.timestampMs >= last.dayStart && r.timestampMs < last.dayStart + DAY_MS) return last.name;
    const day = dayStart(r.timestampMs);
    const key = prefix + '|' + day;
    let name = this.cache.get(key);
    if (name === undefined) {
      if (this.cache.size > 64) this.cache.clear();
      name = `${prefix}-${formatDay(r.timestampMs, '.')}`;
      this.cache.set(key, name);
    }
    this.last = { prefix, dayStart: day, name };
    return name;
  }
}

export interface EncodeProblem {
  index: number;
  reason: string;
}

/** A guess of one document's bytes, to size a new body buffer so it rarely grows. */
export const DOC_BYTES_GUESS = 1024;

/**
 * The NDJSON body for `records` (trailing newline included, as _bulk requires), written into `body`, and the
 * records that cannot be sent at all (a timestamp that is not a date). `sent[i]` is the batch index of the i-th
 * bulk item.
 */
export function encodeBulk(records: readonly TelemetryRecord[], namer: IndexNamer, body = new BodyBuffer(records.length * DOC_BYTES_GUESS)): { body: Buffer; sent: number[]; problems: EncodeProblem[] } {
  const sent: number[] = [];
  const problems: EncodeProblem[] = [];
  // Consecutive records nearly always go to the same index: its part of the action line is made once.
  let lastIndex = '';
  let actionHead = '';
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (!Number.isFinite(r.timestampMs) || Math.abs(r.timestampMs) > 8.64e15) {
      problems.push({ index: i, reason: `timestamp ${r.timestampMs} is not a valid date` });
      continue;
    }
    const index = namer.indexFor(r);
    if (index !== lastIndex) {
      lastIndex = index;
      actionHead = `{"create":{"_index":${json(index)},"_id":`;
    }
    body.write(actionHead + json(documentId(r)) + '}}\n');
    body.write(json(r.kind === 'sample' ? sampleDocument(r) : logDocument(r)));
    body.newline();
    sent.push(i);
  }
  return { body: body.bytes(), sent, problems };
}
