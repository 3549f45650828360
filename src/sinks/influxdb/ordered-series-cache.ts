// The shared per-series memo (SeriesCache), asked in scrape order first. A source emits the same series in the
// same order on every scrape, so after a hit the next sample is nearly always the series that followed it last
// time: comparing that one entry's name and labels costs ~120 ns a sample, where the SeriesCache lookup hashes
// the whole name and every label key and value (~250 characters for a Flink operator series, ~550 ns). Misses
// (new series, another order, another source's batch) fall back to the SeriesCache, so the answer is always the
// same as the SeriesCache's; only the cost changes. Measured on 2,000-series Flink batches.
import type { Labels } from '../../model';
import { SeriesCache } from '../shared/series-cache';

interface Entry<T> {
  name: string;
  keys: string[];
  values: string[];
  value: T;
  /** Where the series stands in `order`; -1 until it is placed. */
  at: number;
}

function sameSeries<T>(e: Entry<T>, name: string, labels: Labels): boolean {
  if (e.name !== name) return false;
  let i = 0;
  for (const k in labels) {
    if (e.keys[i] !== k || e.values[i] !== labels[k]) return false;
    i++;
  }
  return i === e.keys.length;
}

export class OrderedSeriesCache<T> {
  private readonly byKey: SeriesCache<Entry<T>>;
  /** Series in the order first met; entries are placed once, so this stays as long as `byKey` holds them. */
  private order: Array<Entry<T>> = [];
  /** The position expected next: the one after the last series asked for. */
  private next = 0;

  constructor(derive: (name: string, labels: Labels) => T, max?: number) {
    this.byKey = new SeriesCache((name, labels) => ({ name, keys: Object.keys(labels), values: Object.values(labels), value: derive(name, labels), at: -1 }), max);
  }

  get(name: string, labels: Labels): T {
    const expected = this.order[this.next];
    if (expected !== undefined && sameSeries(expected, name, labels)) {
      this.next++;
      return expected.value;
    }
    const e = this.byKey.get(name, labels);
    if (e.at < 0) {
      e.at = this.order.length;
      this.order.push(e);
    }
    this.next = e.at + 1;
    return e.value;
  }

  /** SeriesCache.trim, and the order with it. Call between batches. */
  trim(): void {
    if (!this.byKey.trim()) return;
    this.order = [];
    this.next = 0;
  }
}
