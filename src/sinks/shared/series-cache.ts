// A per-series memo for sink encoders: (metric name, label set) → whatever the encoder derives once per series
// (remote-write's encoded Label messages, InfluxDB's escaped `measurement,tags field=` prefix). Flink series are
// the same on every scrape, so after the first batch an encoder only formats values and timestamps.
//
// Why not a string key: building `name{k="v",…}` per sample costs an allocation and a rope flatten per sample
// (it was the top item in the remote-write profile). Here the lookup hashes the strings in place (FNV-1a) and a
// hit is confirmed by comparing the full name and every key and value, so a collision costs a chain entry, never
// a wrong result. Label objects that list the same labels in another key order get separate entries with equal
// values; callers that need one identity per series dedupe on the derived value (remote-write does).
//
// Lookups go in scrape order first: a source emits its series in the same order every round, so the series after
// the last one asked for is compared directly (~120 ns a sample for a Flink operator series, where hashing its
// ~250 characters costs ~550 ns). Label objects rebuilt from the disk queue take this path.
//
// Frozen label objects skip even that: flink_prometheus emits each series' labels frozen and reuses the same
// object on every scrape (scrape-memo.ts), so its identity names the series, and freezing guarantees no label
// changed since we derived from it. In scrape order the lookup is then two comparisons with the expected entry
// (which remembers the frozen object it was last found by); out of order, one WeakMap probe.
import type { Labels } from '../../model';

interface Entry<T> {
  name: string;
  keys: string[];
  values: string[];
  value: T;
  /** Where the series stands in the first-met order. */
  at: number;
  /** The frozen label object this entry was last found by (a strong reference, bounded like the entries). */
  frozen: Readonly<Labels> | undefined;
}

function fnv(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

function hashSeries(name: string, labels: Readonly<Labels>): number {
  let h = fnv(0x811c9dc5, name);
  for (const k in labels) h = fnv(fnv(h ^ 0x2c, k) ^ 0x3d, labels[k]!);
  return h;
}

function matches<T>(e: Entry<T>, name: string, labels: Readonly<Labels>): boolean {
  if (e.name !== name) return false;
  let i = 0;
  for (const k in labels) {
    if (e.keys[i] !== k || e.values[i] !== labels[k]) return false;
    i++;
  }
  return i === e.keys.length;
}

export class SeriesCache<T> {
  private readonly map = new Map<number, Entry<T> | Array<Entry<T>>>();
  /** Frozen label objects → their entry (weak: the source drops a series' labels when the series ends). */
  private byObject = new WeakMap<Readonly<Labels>, Entry<T>>();
  /** Entries in the order first met, and the position expected next: the one after the last series asked for. */
  private order: Array<Entry<T>> = [];
  private next = 0;
  private size = 0;

  /** `derive` runs once per distinct (name, labels); `max` bounds the entries (see `trim`). */
  constructor(private readonly derive: (name: string, labels: Labels) => T, private readonly max = 200_000) {}

  get(name: string, labels: Readonly<Labels>): T {
    const expected = this.order[this.next];
    // Only frozen objects are remembered, so identity here proves the labels are the ones derived from.
    if (expected !== undefined && expected.frozen === labels && expected.name === name) {
      this.next++;
      return expected.value;
    }
    const frozen = Object.isFrozen(labels);
    let entry = frozen ? this.byObject.get(labels) : undefined;
    if (entry === undefined || entry.name !== name) {
      entry = expected !== undefined && matches(expected, name, labels) ? expected : this.lookup(name, labels);
      if (frozen) this.byObject.set(labels, entry);
    }
    if (frozen) entry.frozen = labels;
    this.next = entry.at + 1;
    return entry.value;
  }

  private lookup(name: string, labels: Readonly<Labels>): Entry<T> {
    const h = hashSeries(name, labels);
    const hit = this.map.get(h);
    if (hit !== undefined) {
      if (!Array.isArray(hit)) {
        if (matches(hit, name, labels)) return hit;
      } else {
        for (const e of hit) if (matches(e, name, labels)) return e;
      }
    }
    const entry: Entry<T> = { name, keys: [], values: [], value: this.derive(name, labels), at: this.order.length, frozen: undefined };
    this.order.push(entry);
    for (const k in labels) {
      entry.keys.push(k);
      entry.values.push(labels[k]!);
    }
    if (hit === undefined) this.map.set(h, entry);
    else if (Array.isArray(hit)) hit.push(entry);
    else this.map.set(h, [hit, entry]);
    this.size++;
    return entry;
  }

  /**
   * Drops everything once over the bound (series churn: restarted jobs bring new ids). Call between batches,
   * never in the middle of one, so values handed out for the current batch stay the ones in use.
   * Returns true when it cleared.
   */
  trim(): boolean {
    if (this.size < this.max) return false;
    this.map.clear();
    this.byObject = new WeakMap();
    this.order = [];
    this.next = 0;
    this.size = 0;
    return true;
  }
}
