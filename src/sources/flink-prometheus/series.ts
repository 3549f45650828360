// Turns one target's parsed exposition into the samples we emit: name filters, dropped churn labels, the agent's
// labels, and the one rule that keeps dropping labels honest — it never merges two series silently.
import type { Labels, Sample } from '../../model';
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

export interface ShapedScrape {
  /** `seriesKey` → sample, one per series. */
  series: Map<string, Sample>;
  /** Samples removed by `include`/`exclude`. */
  filtered: number;
  /** Samples that became identical to another after dropping labels, and were dropped (see `shape`). */
  collisions: number;
  firstCollision?: string;
}

export class SeriesShaper {
  private readonly nameKept = new Map<string, boolean>();
  /** Pass as `ParseOptions.dropLabels`: `shape` expects samples parsed with it. */
  readonly dropLabels: ReadonlySet<string>;
  private readonly baseKeys: string[];

  constructor(private readonly opts: ShapeOptions) {
    this.dropLabels = new Set(opts.dropLabels);
    this.baseKeys = Object.keys(opts.base);
  }

  /** Whether a metric name passes `include`/`exclude`; cached because every name repeats on every scrape. */
  keepName(name: string): boolean {
    let kept = this.nameKept.get(name);
    if (kept === undefined) {
      const { include, exclude } = this.opts;
      kept = (include.length === 0 || include.some((re) => re.test(name))) && !exclude.some((re) => re.test(name));
      // Names come from the target; bound the cache so a target with ever-new names cannot grow it forever.
      if (this.nameKept.size > 100_000) this.nameKept.clear();
      this.nameKept.set(name, kept);
    }
    return kept;
  }

  /**
   * Collision rule: when dropping labels makes two samples of one scrape the same series (two attempts of one
   * subtask during a failover, the only case with Flink's labels), we keep the sample with the higher
   * `task_attempt_num` — the live attempt — or else the first one, and count the other. Merging them (a sum,
   * an average) would invent a value Flink never reported. Different TaskManagers never collide: `tm_id` stays.
   */
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

  shape(parsed: readonly ParsedSample[], scrapeMs: number): ShapedScrape {
    const series = new Map<string, Sample>();
    const attempts = this.dropLabels.has('task_attempt_num') ? new Map<string, number>() : undefined;
    const base = this.opts.base;
    let filtered = 0;
    let collisions = 0;
    let firstCollision: string | undefined;
    for (const p of parsed) {
      if (!this.keepName(p.name)) {
        filtered++;
        continue;
      }
      // The parser made this object for us alone: extend it in place rather than copy it (see ParseOptions).
      const labels = p.labels;
      for (const k of this.baseKeys) {
        // The agent's labels win; the target's own value survives as exported_<name>, as Prometheus does.
        if (Object.hasOwn(labels, k)) labels['exported_' + k] = labels[k]!;
        labels[k] = base[k]!;
      }
      const key = this.key(p.name, labels);
      const sample: Sample = { kind: 'sample', name: p.name, labels, value: p.value, timestampMs: p.timestampMs ?? scrapeMs };
      if (p.metricType) sample.metricType = p.metricType;
      const attempt = attempts ? attemptOf(p.dropped) : -1;
      if (series.has(key)) {
        collisions++;
        firstCollision ??= key;
        if (!attempts || attempt <= attempts.get(key)!) continue;
      }
      series.set(key, sample);
      attempts?.set(key, attempt);
    }
    const shaped: ShapedScrape = { series, filtered, collisions };
    if (firstCollision !== undefined) shaped.firstCollision = firstCollision;
    return shaped;
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
