// The `flink_prometheus` source: each round, scrape every reporter found (see targets.ts), shape the series
// (series.ts), report per-target health like Prometheus (`up`, `scrape_duration_seconds`, …), cap the number of
// series and end vanished series with stale markers.
import type { ComponentContext, Counter, Gauge } from '../../component';
import type { Labels, Sample, TelemetryRecord } from '../../model';
import { seriesKey } from '../../model';
import { agentLabels } from '../shared/agent-labels';
import { fullMatch } from '../shared/regex';
import { StaleTracker } from '../shared/stale-tracker';
import type { Source } from '../types';
import { GetError, httpGet } from './http-get';
import type { FlinkPrometheusConfig } from './schema';
import { ScrapeMemo, type MemoRead } from './scrape-memo';
import { SeriesShaper } from './series';
import type { Target } from './targets';
import { TargetResolver } from './targets';

// Ask for text 0.0.4: with OpenMetrics, Flink's (simpleclient) server would rename series, and we promise
// Flink's own names.
const ACCEPT = 'text/plain;version=0.0.4;q=1,*/*;q=0.1';

type Outcome =
  | { kind: 'absent'; target: Target }
  | { kind: 'down'; target: Target; startMs: number; seconds: number; reason: string }
  | { kind: 'up'; target: Target; startMs: number; seconds: number; read: MemoRead };

interface Counters {
  parseErrors: Counter;
  limitDropped: Counter;
  collisions: Counter;
  scrapeFailures: Counter;
  discoveryFailures: Counter;
  targetsUp: Gauge;
}

export class FlinkPrometheusSource implements Source {
  private readonly resolver: TargetResolver;
  private readonly shaper: SeriesShaper;
  private readonly tracker = new StaleTracker();
  /** Per target URL: what its last page held, so an unchanged series is recognised, not parsed again. */
  private readonly memos = new Map<string, ScrapeMemo>();
  /** Series admitted under `series_limit`; a series stays admitted until it vanishes, so the cut is stable. */
  private readonly admitted = new Set<string>();
  /** Probed targets that answered last round (their disappearance is reported once with up=0). */
  private readonly present = new Set<string>();
  /** Targets currently failing, so each failure streak is logged once. */
  private readonly failing = new Set<string>();
  private readonly base: Labels;
  private readonly timeoutMs: number;
  private readonly m: Counters;

  constructor(private readonly cfg: FlinkPrometheusConfig, private readonly ctx: ComponentContext) {
    this.timeoutMs = cfg.scrape_timeout ?? Math.max(1, Math.floor(cfg.interval * 0.8));
    this.base = agentLabels(ctx.agent, cfg.labels);
    this.shaper = new SeriesShaper({ dropLabels: cfg.drop_labels, include: cfg.include.map(fullMatch), exclude: cfg.exclude.map(fullMatch), base: this.base });
    const metrics = ctx.metrics;
    this.m = {
      parseErrors: metrics.counter('scrape_parse_errors_total', 'Exposition lines that did not parse and were skipped (the rest of the scrape was kept).'),
      limitDropped: metrics.counter('series_limit_dropped_total', 'Samples of new series dropped because the source reached series_limit.'),
      collisions: metrics.counter('scrape_label_collisions_total', 'Samples dropped because removing drop_labels made them identical to another series of the same scrape.'),
      scrapeFailures: metrics.counter('scrape_failures_total', 'Scrapes that failed (timeout, HTTP error, connection refused on a listed URL).'),
      discoveryFailures: metrics.counter('scrape_discovery_failures_total', 'Failed calls to the JobManager /taskmanagers endpoint (discover_from).'),
      targetsUp: metrics.gauge('scrape_targets_up', 'Reporter endpoints that answered in the last round.'),
    };
    this.resolver = new TargetResolver(cfg, this.timeoutMs, ctx.logger, this.m.discoveryFailures);
  }

  async collect(signal: AbortSignal): Promise<TelemetryRecord[]> {
    const roundMs = Date.now();
    const targets = await this.resolver.resolve(signal);
    const outcomes = await mapLimit(targets, this.cfg.concurrency, (t) => this.scrape(t, signal));
    const out: Sample[] = [];
    const seen = new Set<string>();
    const limit = { dropped: 0, first: '' };
    let up = 0;
    for (const o of outcomes) {
      const group = o.target.url;
      let current: Map<string, Sample>;
      if (o.kind === 'absent') {
        // Was answering last round, now the port is closed: say so once with up=0; next round `up` goes stale.
        this.memos.delete(group);
        if (!this.present.delete(group)) continue;
        this.ctx.logger.info({ target: o.target.instance }, 'reporter is gone (port closed); its series end with stale markers');
        current = new Map();
        this.health(current, o.target, roundMs, 0);
      } else {
        if (o.target.probed) this.present.add(group);
        current = o.kind === 'up' ? this.accept(o, limit) : new Map();
        const scraped = o.kind === 'up' ? { seconds: o.seconds, scraped: o.read.scraped, kept: current.size } : { seconds: o.seconds };
        this.health(current, o.target, o.startMs, o.kind === 'up' ? 1 : 0, scraped);
        if (o.kind === 'up') up++;
      }
      seen.add(group);
      for (const s of current.values()) out.push(s);
      this.forget(this.tracker.replace(group, current, roundMs), out);
    }
    for (const group of this.tracker.groups()) {
      if (seen.has(group)) continue;
      this.memos.delete(group);
      this.forget(this.tracker.end(group, roundMs), out);
    }

    if (limit.dropped > 0) {
      this.m.limitDropped.inc(limit.dropped);
      this.ctx.logger.warn({ series_limit: this.cfg.series_limit, dropped: limit.dropped, first: limit.first }, 'series_limit reached: new series dropped this round; raise series_limit or narrow include/exclude');
    }
    this.m.targetsUp.set(up);
    const staticDown = outcomes.filter((o) => o.kind === 'down' && !o.target.probed).map((o) => o.target.instance);
    if (up === 0) this.ctx.status.error(`no Flink reporter answered (${this.describeWhere()})`);
    else if (staticDown.length > 0) this.ctx.status.error(`reporter URLs not answering: ${staticDown.join(', ')}`);
    else this.ctx.status.ok();
    return out;
  }

  /** One GET; a refused connection on a probed port means "no process there", not a failure. */
  private async scrape(target: Target, signal: AbortSignal): Promise<Outcome> {
    const startMs = Date.now();
    const t0 = performance.now();
    const seconds = (): number => (performance.now() - t0) / 1000;
    try {
      const res = await httpGet(target.url, this.timeoutMs, signal, ACCEPT);
      if (res.status !== 200) return this.down(target, startMs, seconds(), `HTTP ${res.status}: ${res.body.toString('utf8', 0, 200)}`);
      let memo = this.memos.get(target.url);
      if (!memo) this.memos.set(target.url, (memo = new ScrapeMemo(this.shaper)));
      const read = memo.read(res.body, res.contentType.includes('openmetrics') || undefined, startMs);
      if (this.failing.delete(target.url)) this.ctx.logger.info({ target: target.instance }, 'reporter answers again');
      return { kind: 'up', target, startMs, seconds: seconds(), read };
    } catch (err) {
      if (signal.aborted) throw err;
      if (target.probed && err instanceof GetError && err.code === 'ECONNREFUSED') return { kind: 'absent', target };
      return this.down(target, startMs, seconds(), (err as Error).message);
    }
  }

  private down(target: Target, startMs: number, seconds: number, reason: string): Outcome {
    this.m.scrapeFailures.inc();
    if (!this.failing.has(target.url)) {
      this.failing.add(target.url);
      this.ctx.logger.warn({ target: target.instance, reason }, 'scrape failed; up=0 until it answers again');
    }
    return { kind: 'down', target, startMs, seconds, reason };
  }

  /** Shapes a successful scrape, reports its parse problems and applies the series limit. */
  private accept(o: Extract<Outcome, { kind: 'up' }>, limit: { dropped: number; first: string }): Map<string, Sample> {
    const { read, target } = o;
    if (read.errors > 0) {
      this.m.parseErrors.inc(read.errors);
      const e = read.firstError!;
      this.ctx.logger.warn({ target: target.instance, errors: read.errors, line: e.line, reason: e.reason, text: e.text }, `${read.errors} exposition line(s) skipped; first at line ${e.line}: ${e.reason}`);
    }
    const shaped = this.shaper.assemble(read.series, read.samples);
    if (shaped.collisions > 0) {
      this.m.collisions.inc(shaped.collisions);
      this.ctx.logger.warn({ target: target.instance, collisions: shaped.collisions, first: shaped.firstCollision }, 'dropping drop_labels made series identical; kept the latest task attempt');
    }
    for (const key of shaped.series.keys()) {
      if (this.admitted.has(key)) continue;
      if (this.admitted.size < this.cfg.series_limit) this.admitted.add(key);
      else {
        // Deleting the current key while iterating a Map is safe: iteration continues with the next entry.
        shaped.series.delete(key);
        if (limit.dropped++ === 0) limit.first = key;
      }
    }
    return shaped.series;
  }

  /** `up`, `scrape_duration_seconds`, `scrape_samples_scraped`, `scrape_samples_post_metric_relabeling`, like Prometheus. */
  private health(
    into: Map<string, Sample>,
    target: Target,
    timestampMs: number,
    upValue: number,
    detail?: { seconds: number; scraped?: number; kept?: number },
  ): void {
    const labels = { ...this.base, instance: target.instance };
    const put = (name: string, value: number): void => {
      into.set(seriesKey(name, labels), { kind: 'sample', name, labels, value, timestampMs, metricType: 'gauge' });
    };
    put('up', upValue);
    if (!detail) return;
    put('scrape_duration_seconds', detail.seconds);
    if (detail.scraped !== undefined) put('scrape_samples_scraped', detail.scraped);
    if (detail.kept !== undefined) put('scrape_samples_post_metric_relabeling', detail.kept);
  }

  /** Emits stale markers and frees their places under the series limit. */
  private forget(markers: Sample[], out: Sample[]): void {
    for (const m of markers) {
      this.admitted.delete(seriesKey(m.name, m.labels));
      out.push(m);
    }
  }

  private describeWhere(): string {
    const parts: string[] = [];
    if (this.cfg.urls.length) parts.push(this.cfg.urls.join(', '));
    if (this.cfg.scan) parts.push(`ports ${this.cfg.ports} on ${this.cfg.discover_from ? `hosts from ${this.cfg.discover_from}` : this.cfg.host}`);
    return `tried ${parts.join(' and ')}`;
  }
}

/** Runs `fn` over `items` with at most `limit` in flight; results keep the order of `items`. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
