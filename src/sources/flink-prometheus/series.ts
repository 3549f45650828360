// Turns one target's parsed exposition into the samples we emit: name filters, dropped churn labels, the agent's
// labels, and the one rule that keeps dropping labels honest — it never merges two series silently.
import type { Labels } from '../../model';
import type { ParsedSample } from './parse';

export interface ShapeOptions {
  /** Labels removed from every series (`task_attempt_id`, `task_attempt_num` by default); the parser drops them. */
  dropLabels: readonly string[];
  /** Full-match name regexes; empty keeps every name. */
  include: readonly RegExp[];
  exclude: readonly RegExp[];
  /** Agent and source labels added to every series (cluster, node, …). */
  base: Labels;
}

/**
 * One series as this source emits it, computed once when the series first appears and reused on every scrape
 * after (see scrape-memo.ts): its labels object is frozen and shared by all its samples, so sinks may key
 * per-series caches on its identity, and nobody can change a label under them.
 */
export interface ShapedSeries {
  name: string;
  labels: Readonly<Labels>;
  /** `seriesKey(name, labels)`. */
  key: string;
  /** `task_attempt_num` when `drop_labels` removed it (it decides collisions, see SeriesBook.addPage); else -1. */
  attempt: number;
}

export class SeriesShaper {
  /** Metric name → the one copy of it every series of that name shares (see `name`), or null when filtered. */
  private readonly names = new Map<string, string | null>();
  /** Label value → the one copy series share (see `describe`). */
  private readonly values = new Map<string, string>();
  /** Pass as `ParseOptions.dropLabels`: `describe` expects samples parsed with it. */
  readonly dropLabels: ReadonlySet<string>;
  private readonly baseKeys: string[];

  constructor(private readonly opts: ShapeOptions) {
    this.dropLabels = new Set(opts.dropLabels);
    this.baseKeys = Object.keys(opts.base);
  }

  /**
   * The name when it passes `include`/`exclude`, else null; cached because every name repeats on every scrape.
   * Returns one shared string per name, so the samples of one metric compare their names by reference
   * (Families.typeOf, the sinks' per-series caches) and the series of a metric keep one copy of its name.
   */
  private name(name: string): string | null {
    let kept = this.names.get(name);
    if (kept === undefined) {
      const { include, exclude } = this.opts;
      kept = (include.length === 0 || include.some((re) => re.test(name))) && !exclude.some((re) => re.test(name)) ? name : null;
      // Names come from the target; bound the cache so a target with ever-new names cannot grow it forever.
      if (this.names.size > 100_000) this.names.clear();
      this.names.set(name, kept);
    }
    return kept;
  }

  /**
   * The series of a parsed sample: the agent's labels added, the key computed, the labels frozen; undefined when
   * `include`/`exclude` leave the name out.
   */
  describe(p: ParsedSample): ShapedSeries | undefined {
    const name = this.name(p.name);
    if (name === null) return undefined;
    // The parser made this object for us alone: extend it in place rather than copy it (see ParseOptions).
    const labels = p.labels;
    // Each value the parser made is a slice of its line, which would keep the whole line alive as long as the
    // series lives; most values (job, task, host, tm_id) repeat across series, so one shared copy of each keeps
    // ~0.5 KB less per series, and lets later comparisons of equal values succeed by reference.
    if (this.values.size > 100_000) this.values.clear(); // bounded like `names`; a clear only costs sharing
    for (const k in labels) {
      const v = labels[k]!;
      const shared = this.values.get(v);
      if (shared === undefined) this.values.set(v, v);
      else labels[k] = shared;
    }
    const base = this.opts.base;
    for (const k of this.baseKeys) {
      // The agent's labels win; the target's own value survives as exported_<name>, as Prometheus does.
      if (Object.hasOwn(labels, k)) labels['exported_' + k] = labels[k]!;
      labels[k] = base[k]!;
    }
    return { name, labels: Object.freeze(labels), key: this.key(name, labels), attempt: attemptOf(p.dropped) };
  }

  private order: KeyOrder = { names: [], sorted: [] };

  /**
   * `seriesKey(name, labels)`, the same string, built without sorting the names of every sample again (they come
   * in the same order line after line) and with one join instead of dozens of string pieces to collect.
   */
  private key(name: string, labels: Labels): string {
    const names = Object.keys(labels);
    let o = this.order;
    if (names.length !== o.names.length || names.some((n, i) => n !== o.names[i])) o = this.order = { names, sorted: [...names].sort() };
    const parts = new Array<string>(o.sorted.length);
    for (let i = 0; i < parts.length; i++) parts[i] = o.sorted[i] + '="' + labels[o.sorted[i]!] + '"';
    return name + '{' + parts.join(',') + '}';
  }
}
/** Last label-name list seen and its sorted order: consecutive samples of one family share them. */
interface KeyOrder {
  names: string[];
  sorted: string[];
}

function attemptOf(dropped: Labels | undefined): number {
  const n = Number(dropped?.task_attempt_num);
  return Number.isFinite(n) ? n : -1;
}
