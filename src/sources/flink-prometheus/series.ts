// Turns one target's parsed exposition into the samples we emit: name filters, dropped churn labels, the agent's
// labels, and the one rule that keeps dropping labels honest — it never merges two series silently.
import type { Labels, Sample } from '../../model';
import { seriesKey } from '../../model';
import type { ParsedSample } from './parse';

export interface ShapeOptions {
  /** Labels removed from every series (`task_attempt_id`, `task_attempt_num` by default). */
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
  private readonly drop: ReadonlySet<string>;

  constructor(private readonly opts: ShapeOptions) {
    this.drop = new Set(opts.dropLabels);
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
  shape(parsed: readonly ParsedSample[], scrapeMs: number): ShapedScrape {
    const series = new Map<string, Sample>();
    const attempts = this.drop.has('task_attempt_num') ? new Map<string, number>() : undefined;
    const base = this.opts.base;
    let filtered = 0;
    let collisions = 0;
    let firstCollision: string | undefined;
    for (const p of parsed) {
      if (!this.keepName(p.name)) {
        filtered++;
        continue;
      }
      const labels: Labels = {};
      for (const k in p.labels) {
        if (this.drop.has(k)) continue;
        // The agent's labels win; the target's own value survives as exported_<name>, as Prometheus does.
        labels[Object.hasOwn(base, k) ? 'exported_' + k : k] = p.labels[k]!;
      }
      for (const k in base) labels[k] = base[k]!;
      const key = seriesKey(p.name, labels);
      const sample: Sample = { kind: 'sample', name: p.name, labels, value: p.value, timestampMs: p.timestampMs ?? scrapeMs };
      if (p.metricType) sample.metricType = p.metricType;
      const attempt = attempts ? attemptOf(p.labels) : -1;
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

function attemptOf(labels: Labels): number {
  const n = Number(labels.task_attempt_num);
  return Number.isFinite(n) ? n : -1;
}
