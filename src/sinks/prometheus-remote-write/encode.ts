// Batch of samples → remote-write 1.0 `WriteRequest` protobuf bytes (snappy is applied by the client).
//
// Hand-encoded instead of protobufjs: the message set is four fixed messages, and writing straight into one
// pre-sized Buffer avoids building an object tree per sample. Wire format (proto3, field numbers from the spec):
//   WriteRequest { repeated TimeSeries timeseries = 1 }            tag 0x0a, length-delimited
//   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2 }   tags 0x0a / 0x12
//   Label        { string name = 1; string value = 2 }             tags 0x0a / 0x12
//   Sample       { double value = 1; int64 timestamp = 2 }         tag 0x09 (fixed64 LE) / 0x10 (varint)
// A series' encoded labels are cached by label set: Flink series are stable across scrapes, so after the first
// batch only the samples are encoded.
import type { Labels, Sample, TelemetryRecord } from '../../model';
import { SeriesCache } from '../shared/series-cache';

const METRIC_NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** Bound of the label-encoding cache; cleared wholesale between batches when hit (churny label sets re-fill it). */
const LABEL_CACHE_MAX = 200_000;

export interface EncodedBatch {
  /** Uncompressed WriteRequest bytes; with `reuseBody`, valid only until the next encode(). */
  body: Buffer;
  /** Batch indices that can never be sent as they are (no name, bad label name, not a sample…), with why.
   *  Every other index is in `body`, or was merged into a same-timestamp twin that is. */
  rejected: Array<{ index: number; reason: string }>;
  /** Samples dropped because a later sample of the same series had the same timestamp (the later one wins). */
  merged: number;
  seriesCount: number;
}

export function varintLength(n: number): number {
  let len = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    len++;
  }
  return len;
}

/** Unsigned varint of a non-negative integer up to 2^53; division rather than `>>>` because `>>>` truncates to 32 bits. */
function writeVarint(buf: Buffer, offset: number, n: number): number {
  while (n >= 128) {
    buf[offset++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[offset++] = n;
  return offset;
}

function writeString(buf: Buffer, offset: number, tag: number, s: string): number {
  const len = Buffer.byteLength(s, 'utf8');
  buf[offset++] = tag;
  offset = writeVarint(buf, offset, len);
  return offset + buf.write(s, offset, len, 'utf8');
}

/**
 * The sorted Label messages of one series, each with its TimeSeries field tag, or a reason it is invalid.
 * `__name__` comes from `name` (a `__name__` key in `labels` is ignored); empty values are left out, which is
 * what Prometheus does with them anyway (an empty label equals an absent one) and the spec forbids sending them.
 */
export function encodeLabels(name: string, labels: Labels): Buffer | string {
  if (!name) return 'sample has no metric name; remote-write requires __name__';
  if (!METRIC_NAME_RE.test(name)) return `metric name "${name}" is not a valid Prometheus name ([a-zA-Z_:][a-zA-Z0-9_:]*); rename it with a relabel transform`;
  const pairs: Array<[string, string]> = [['__name__', name]];
  for (const key in labels) {
    const value = labels[key]!;
    if (key === '__name__' || value === '') continue;
    if (!LABEL_NAME_RE.test(key)) return `label name "${key}" of ${name} is not a valid Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*); rename it with a relabel transform`;
    pairs.push([key, value]);
  }
  // Byte order of ASCII names equals UTF-16 code-unit order, which is what the default comparison uses.
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let size = 0;
  const lens: number[] = [];
  for (const [k, v] of pairs) {
    const kl = Buffer.byteLength(k, 'utf8');
    const vl = Buffer.byteLength(v, 'utf8');
    const inner = 1 + varintLength(kl) + kl + 1 + varintLength(vl) + vl;
    lens.push(inner);
    size += 1 + varintLength(inner) + inner;
  }
  const buf = Buffer.allocUnsafe(size);
  let o = 0;
  for (let i = 0; i < pairs.length; i++) {
    buf[o++] = 0x0a; // TimeSeries.labels
    o = writeVarint(buf, o, lens[i]!);
    o = writeString(buf, o, 0x0a, pairs[i]![0]);
    o = writeString(buf, o, 0x12, pairs[i]![1]);
  }
  return buf;
}

/**
 * Varint bytes of a millisecond timestamp from 2^35 ms (1971) to 2^42 ms (2109): every live sample's. A one-sample
 * series with such a timestamp has a TimeSeries length known in advance, so its header is cached with its labels.
 */
const TS_VARINT_BYTES = 6;
/** Sample entry after the cached head: value (8), the timestamp tag (1) and its varint. */
const HEAD_TAIL = 8 + 1 + TS_VARINT_BYTES;

/** The per-encode grouping slot of one distinct label set (shared by label objects that differ in key order). */
interface SeriesSlot {
  /** The Label messages (a view into `head`). */
  labels: Buffer;
  /**
   * A one-sample TimeSeries up to its value, `[0x0a][len][labels][0x12][len][0x09]`, for a TS_VARINT_BYTES
   * timestamp: a scrape batch holds one sample per series, so the common case is one copy, a double and the
   * timestamp, with no length to compute.
   */
  head: Buffer;
  /** encode() call that last used this slot, and the index of its group in that call. */
  epoch: number;
  group: number;
}

/** Size of one `TimeSeries.samples` entry: tag, length byte, then value (1+8) and timestamp (1+varint). */
function sampleEntrySize(ts: number): number {
  return 2 + 9 + 1 + varintLength(ts);
}

/** Size of the buffers series heads are carved from (see RemoteWriteEncoder.carve). */
const HEAD_SLAB = 64 * 1024;

function newSlot(labels: Buffer, carve: (size: number) => Buffer): SeriesSlot {
  const len = labels.length + 3 + HEAD_TAIL;
  const head = carve(1 + varintLength(len) + labels.length + 3);
  head[0] = 0x0a; // WriteRequest.timeseries
  let o = writeVarint(head, 1, len);
  labels.copy(head, o);
  o += labels.length;
  head[o++] = 0x12; // TimeSeries.samples
  head[o++] = HEAD_TAIL + 1; // Sample: value tag and HEAD_TAIL
  head[o] = 0x09; // Sample.value, fixed64
  return { labels: head.subarray(o - 2 - labels.length, o - 2), head, epoch: 0, group: 0 };
}

/** FNV-1a of the bytes: runs once per new series, to find its slot. */
function hashBytes(b: Buffer): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h;
}

/** An Int32Array of at least `n` entries: `a` itself while it is long enough (contents are not kept). */
function atLeast(a: Int32Array<ArrayBuffer>, n: number): Int32Array<ArrayBuffer> {
  return a.length >= n ? a : new Int32Array(Math.max(n, a.length * 2));
}

export interface EncoderOptions {
  /**
   * Encode every batch into one buffer kept by the encoder, so `body` is only valid until the next encode(). For a
   * caller that compresses the body before it encodes again (the sink): a fresh body per batch is ~700 KB of
   * memory to map, fault in and free for every request, and external memory that makes V8 collect sooner.
   */
  reuseBody?: boolean;
}

export class RemoteWriteEncoder {
  /**
   * Encoded label bytes → the one slot for them, so label sets that differ only in key order share a series. Keyed
   * by a hash of the bytes (a collision is resolved by comparing them): a string key would hold a second copy of
   * every series' labels.
   */
  private readonly slots = new Map<number, SeriesSlot[]>();
  private readonly cache = new SeriesCache<SeriesSlot | string>((name, labels) => {
    const encoded = encodeLabels(name, labels);
    return typeof encoded === 'string' ? encoded : this.slotOf(encoded);
  }, LABEL_CACHE_MAX);
  private epoch = 0;
  // The grouping of the batch being encoded, kept between calls: arrays as long as the batch, made afresh per
  // batch, were the sink's largest share of what the agent promoted to the old generation (2.9 MB per 8 s in the
  // anchors bench). Series of this batch in first-seen order, each a chain of its samples' indices:
  // first → next[…] → last.
  private groups: SeriesSlot[] = [];
  private first = new Int32Array(0);
  private last = new Int32Array(0);
  /** next[i] = following index of i's series + 1; 0 ends the chain. */
  private next = new Int32Array(0);
  /** The last timestamp written and its varint: a scrape batch shares one timestamp per target. */
  private tsValue = -1;
  private readonly tsVarint = Buffer.alloc(10);
  private tsLength = 0;
  /** With reuseBody: the buffer every body is written into (as long as the largest body so far). */
  private scratch: Buffer | undefined;
  /** The slab series heads are being carved from, and how much of it is taken. */
  private slab = Buffer.allocUnsafeSlow(0);
  private slabUsed = 0;

  constructor(private readonly options: EncoderOptions = {}) {}

  private slotOf(labels: Buffer): SeriesSlot {
    const h = hashBytes(labels);
    let chain = this.slots.get(h);
    if (chain === undefined) this.slots.set(h, (chain = []));
    for (const slot of chain) if (slot.labels.equals(labels)) return slot;
    const slot = newSlot(labels, this.carve);
    chain.push(slot);
    return slot;
  }

  /**
   * Bytes for a series head that lives as long as its slot, carved from slabs of the encoder's own. From Node's
   * shared Buffer pool, heads shared pool slabs with every short-lived Buffer made meanwhile (encodeLabels' own
   * result, HTTP and disk-queue buffers), and each head kept its whole slab alive: 6.7 MB of slabs held 3 MB of
   * heads for 8,800 series in the anchors bench.
   */
  private readonly carve = (size: number): Buffer => {
    if (this.slabUsed + size > this.slab.length) {
      this.slab = Buffer.allocUnsafeSlow(Math.max(HEAD_SLAB, size));
      this.slabUsed = 0;
    }
    const head = this.slab.subarray(this.slabUsed, this.slabUsed + size);
    this.slabUsed += size;
    return head;
  };

  private bodyOf(size: number): Buffer {
    if (!this.options.reuseBody) return Buffer.allocUnsafe(size);
    if (this.scratch === undefined || this.scratch.length < size) this.scratch = Buffer.allocUnsafeSlow(Math.max(size, 2 * (this.scratch?.length ?? 0)));
    return this.scratch.subarray(0, size);
  }

  /** The varint length of `ts`, which is then in tsVarint. */
  private timestamp(ts: number): number {
    if (ts !== this.tsValue) {
      this.tsValue = ts;
      this.tsLength = writeVarint(this.tsVarint, 0, ts);
    }
    return this.tsLength;
  }

  encode(records: readonly TelemetryRecord[]): EncodedBatch {
    // Bounded: cleared wholesale between batches (never mid-batch, which could split a series in two groups).
    if (this.cache.trim()) {
      this.slots.clear();
      this.groups = [];
    }
    const epoch = ++this.epoch;
    const rejected: EncodedBatch['rejected'] = [];
    const { groups } = this;
    const first = (this.first = atLeast(this.first, records.length));
    const last = (this.last = atLeast(this.last, records.length));
    const next = (this.next = atLeast(this.next, records.length));
    let count = 0;
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      if (r.kind !== 'sample') {
        rejected.push({ index: i, reason: 'remote-write takes samples only; a log record was routed here' });
        continue;
      }
      if (!(r.timestampMs >= 0) || !Number.isSafeInteger(Math.floor(r.timestampMs))) {
        rejected.push({ index: i, reason: `timestamp ${r.timestampMs} of ${r.name} is not a millisecond time after 1970` });
        continue;
      }
      const slot = this.cache.get(r.name, r.labels);
      if (typeof slot === 'string') {
        rejected.push({ index: i, reason: slot });
        continue;
      }
      next[i] = 0;
      if (slot.epoch !== epoch) {
        slot.epoch = epoch;
        slot.group = count;
        groups[count] = slot;
        first[count] = last[count] = i;
        count++;
      } else {
        next[last[slot.group]!] = i + 1;
        last[slot.group] = i;
      }
    }

    const samples = records as readonly Sample[];
    // Series with more than one sample (rare: a batch from a scrape holds one per series): their indices in
    // timestamp order, same-timestamp twins merged.
    let ordered: Map<number, number[]> | undefined;
    let merged = 0;
    let total = 0;
    for (let g = 0; g < count; g++) {
      if (first[g] === last[g]) {
        const len = this.timestamp(Math.floor(samples[first[g]!]!.timestampMs));
        total += len === TS_VARINT_BYTES ? groups[g]!.head.length + HEAD_TAIL : timeSeriesSize(groups[g]!.labels.length + sampleEntrySize(this.tsValue));
        continue;
      }
      const indices: number[] = [];
      for (let i = first[g]!; i !== -1; i = next[i]! - 1) indices.push(i);
      merged += orderAndMerge(indices, samples);
      (ordered ??= new Map()).set(g, indices);
      total += timeSeriesSize(seriesLength(groups[g]!.labels, indices, samples));
    }

    const body = this.bodyOf(total);
    let o = 0;
    for (let g = 0; g < count; g++) {
      const slot = groups[g]!;
      const indices = ordered?.get(g);
      if (indices === undefined) {
        const sample = samples[first[g]!]!;
        const tsLength = this.timestamp(Math.floor(sample.timestampMs));
        if (tsLength === TS_VARINT_BYTES) {
          body.set(slot.head, o);
          o = writeValue(body, o + slot.head.length, sample);
          body[o++] = 0x10; // Sample.timestamp, varint
          for (let k = 0; k < TS_VARINT_BYTES; k++) body[o++] = this.tsVarint[k]!;
          continue;
        }
      }
      const list = indices ?? [first[g]!];
      body[o++] = 0x0a; // WriteRequest.timeseries
      o = writeVarint(body, o, seriesLength(slot.labels, list, samples));
      body.set(slot.labels, o);
      o += slot.labels.length;
      for (const idx of list) o = writeSample(body, o, samples[idx]!);
    }
    return { body, rejected, merged, seriesCount: count };
  }
}

/** Length of a TimeSeries message: its labels and the sample entries of `indices`. */
function seriesLength(labels: Buffer, indices: readonly number[], samples: readonly Sample[]): number {
  let len = labels.length;
  for (const idx of indices) len += sampleEntrySize(Math.floor(samples[idx]!.timestampMs));
  return len;
}

/** Bytes of a `WriteRequest.timeseries` entry whose message is `len` long. */
function timeSeriesSize(len: number): number {
  return 1 + varintLength(len) + len;
}

/** A sample's value as a fixed64 double; returns the offset after it. */
function writeValue(body: Buffer, o: number, sample: Sample): number {
  if (sample.stale) {
    // Prometheus' staleness marker: the NaN with bits 0x7ff0000000000002, reserved for "series ended".
    body.writeUInt32LE(0x00000002, o);
    body.writeUInt32LE(0x7ff00000, o + 4);
  } else {
    body.writeDoubleLE(sample.value, o);
  }
  return o + 8;
}

/** One `TimeSeries.samples` entry (see sampleEntrySize); returns the offset after it. */
function writeSample(body: Buffer, o: number, sample: Sample): number {
  const ts = Math.floor(sample.timestampMs);
  body[o++] = 0x12; // TimeSeries.samples
  body[o++] = 10 + varintLength(ts);
  body[o++] = 0x09; // Sample.value, fixed64
  o = writeValue(body, o, sample);
  body[o++] = 0x10; // Sample.timestamp, varint
  return writeVarint(body, o, ts);
}

/**
 * Sorts a series' samples by timestamp (the spec requires ascending order within a series) and keeps only the
 * last of samples sharing a timestamp: sample identity is (series, timestamp), so the later one is the newer
 * value, and Prometheus would reject the whole request with "duplicate sample for timestamp" otherwise.
 * Returns how many were merged away; `indices` is rewritten in place.
 */
function orderAndMerge(indices: number[], records: readonly Sample[]): number {
  let sorted = true;
  for (let k = 1; k < indices.length; k++) {
    if (records[indices[k]!]!.timestampMs <= records[indices[k - 1]!]!.timestampMs) {
      sorted = false;
      break;
    }
  }
  if (sorted) return 0;
  // Stable sort keeps batch order among equal timestamps, so "last" below means "last in the batch".
  indices.sort((a, b) => Math.floor(records[a]!.timestampMs) - Math.floor(records[b]!.timestampMs));
  let w = 0;
  for (let k = 0; k < indices.length; k++) {
    const next = indices[k + 1];
    if (next !== undefined && Math.floor(records[next]!.timestampMs) === Math.floor(records[indices[k]!]!.timestampMs)) continue;
    indices[w++] = indices[k]!;
  }
  const merged = indices.length - w;
  indices.length = w;
  return merged;
}
