// The DiskQueue's compact payload for samples, after Prometheus' WAL: a series is written once per segment and every
// later sample of it as (series ref, value, timestamp).
//
//   definition  [0x01][flags][u32 ref][f64 value][f64 timestampMs][JSON `[name, labels]`]
//   reference   [0x02][flags][u32 ref][f64 value][f64 timestampMs]
//   flags       bits 0-2: metricType (0 = none, 1 + index in METRIC_TYPES), bit 3: stale marker
//
// As JSON, a Flink sample is ~470 bytes (its labels name the job, task and operator) and every scrape re-encoded,
// wrote and kept them alive: the disk queue cost as much CPU as the source and sink together, and a scrape round
// outgrew the in-memory hot tail, so the sink decoded it back from disk. A reference frame is 22 bytes, and the
// value goes in as a double, so NaN, ±Inf and the stale marker survive (JSON turns them into null).
// A JSON payload starts with `{`, so the first byte tells the formats apart. Refs are scoped to one segment: a
// segment is read on its own after a restart, and dropping the dictionary with the segment bounds it.
import type { Labels, MetricType, Sample, TelemetryRecord } from '../model';

export const SAMPLE_DEF = 0x01;
export const SAMPLE_REF = 0x02;
export const SAMPLE_HEADER = 22;
const METRIC_TYPES: readonly MetricType[] = ['gauge', 'counter', 'summary', 'histogram', 'untyped'];
const STALE = 0x08;

/** A series as a definition frame names it. */
export interface SeriesDef {
  name: string;
  labels: Labels;
}

interface RefEntry {
  name: string;
  ref: number;
  /** Another series sharing the same labels object under another name. */
  next: RefEntry | undefined;
}

/**
 * The series refs of the segment being written. Series are found by the identity of their labels object: sources
 * that describe a series once (flink_prometheus) hand out the same frozen labels object on every scrape, so a lookup
 * is one WeakMap get. Samples whose labels are not frozen are written as JSON: identity would not prove the same
 * labels. Refs handed out while encoding are pending until `commit` says which of their frames were written.
 */
export class SeriesRefs {
  /** Segment offset of each ref's definition frame: a reader resolves a ref it has not read through it. */
  readonly defs: number[] = [];
  private readonly byLabels = new WeakMap<Labels, RefEntry>();
  private readonly pending: Array<{ labels: Labels; entry: RefEntry; frame: number }> = [];

  find(name: string, labels: Labels): number {
    for (let e = this.byLabels.get(labels); e !== undefined; e = e.next) if (e.name === name) return e.ref;
    return -1;
  }

  /** A new ref, defined by frame number `frame` of the batch being encoded. */
  add(name: string, labels: Labels, frame: number): number {
    const entry: RefEntry = { name, ref: this.defs.length + this.pending.length, next: this.byLabels.get(labels) };
    this.byLabels.set(labels, entry);
    this.pending.push({ labels, entry, frame });
    return entry.ref;
  }

  /**
   * Frames `[0, written)` of the last encoded batch are in the segment (frame k at `offsetOf(k)`); the rest were
   * not written, so the refs they defined are forgotten and will be defined again when those records are encoded anew.
   */
  commit(written: number, offsetOf: (frame: number) => number): void {
    let k = 0;
    for (; k < this.pending.length && this.pending[k]!.frame < written; k++) this.defs.push(offsetOf(this.pending[k]!.frame));
    this.forget(k);
  }

  /** None of the last encoded batch was written (from pending entry `keep` on): its new series are forgotten. */
  forget(keep = 0): void {
    for (let u = this.pending.length - 1; u >= keep; u--) {
      const { labels, entry } = this.pending[u]!;
      if (entry.next === undefined) this.byLabels.delete(labels);
      else this.byLabels.set(labels, entry.next);
    }
    this.pending.length = 0;
  }
}

/** The flags byte of a sample that can take the compact form, or -1 (JSON it is). */
export function compactFlags(record: TelemetryRecord): number {
  if (record.kind !== 'sample' || !Object.isFrozen(record.labels)) return -1;
  const type = record.metricType === undefined ? 0 : METRIC_TYPES.indexOf(record.metricType) + 1;
  if (type < 0) return -1;
  return record.stale === true ? type | STALE : type;
}

/** Writes the fixed part of a definition or reference at `at`; the caller appends a definition's series JSON. */
export function writeSampleHeader(buf: Buffer, at: number, tag: number, flags: number, ref: number, sample: Sample): void {
  buf[at] = tag;
  buf[at + 1] = flags;
  buf.writeUInt32LE(ref, at + 2);
  buf.writeDoubleLE(sample.value, at + 6);
  buf.writeDoubleLE(sample.timestampMs, at + 14);
}

export function seriesJson(sample: Sample): string {
  return JSON.stringify([sample.name, sample.labels]);
}

/** The series a definition payload `[start, end)` carries; its labels are frozen, like the ones it was written from. */
export function readSeriesDef(buf: Buffer, start: number, end: number): SeriesDef {
  const [name, labels] = JSON.parse(buf.toString('utf8', start + SAMPLE_HEADER, end)) as [string, Labels];
  return { name, labels: Object.freeze(labels) };
}

export function sampleRef(buf: Buffer, start: number): number {
  return buf.readUInt32LE(start + 2);
}

/** The sample of a definition or reference payload at `start`, for the series its ref names. */
export function readSample(buf: Buffer, start: number, series: SeriesDef): Sample {
  const flags = buf[start + 1]!;
  const value = buf.readDoubleLE(start + 6);
  const timestampMs = buf.readDoubleLE(start + 14);
  const type = flags & 0x07;
  // One literal per shape, as the sources build them: adding properties afterwards would give each a dictionary.
  if (flags & STALE) {
    return type === 0
      ? { kind: 'sample', name: series.name, labels: series.labels, value, timestampMs, stale: true }
      : { kind: 'sample', name: series.name, labels: series.labels, value, timestampMs, metricType: METRIC_TYPES[type - 1]!, stale: true };
  }
  return type === 0
    ? { kind: 'sample', name: series.name, labels: series.labels, value, timestampMs }
    : { kind: 'sample', name: series.name, labels: series.labels, value, timestampMs, metricType: METRIC_TYPES[type - 1]! };
}
