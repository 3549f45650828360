// The `flink_prometheus` source: each round, scrape every reporter found (see targets.ts), shape the series
// (series.ts), report per-target health like Prometheus (`up`, `scrape_duration_seconds`, …), cap the number of
// series and end vanished series with stale markers.
import type { ComponentContext, Counter, Gauge } from '../../component';
import type { Labels, TelemetryRecord } from '../../model';
import { seriesKey } from '../../model';
import { agentLabels } from '../shared/agent-labels';
import { fullMatch } from '../shared/regex';
import type { Source } from '../types';
import { GetError, httpGet } from './http-get';
import type { FlinkPrometheusConfig } from './schema';
import { ScrapeMemo, type MemoRead } from './scrape-memo';
import { SeriesShaper } from './series';
import { SampleRows } from './sample-rows';
import { SeriesBook } from './series-book';
import type { Target } from './targets';
import { TargetResolver } from './targets';

// Ask for text 0.0.4: with OpenMetrics, Flink's (simpleclient) server would rename series, and we promise
// Flink's own names.
const ACCEPT = 'text/plain;version=0.0.4;q=1,*/*;q=0.1';

type Outcome =
  | { kind: 'absent'; target: Target }
  | { kind: 'down'; target: Target; startMs: number; seconds: number; reason: string }
  | { kind: 'up'; target: Target; startMs: number; seconds: number; read: MemoRead };

/** One target's series between rounds, and the labels and keys of its health series, made once. */
interface Tracked {
  book: SeriesBook;
  health: Readonly<Labels>;
  keys: Record<HealthName, string>;
}

const HEALTH = ['up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'scrape_samples_post_metric_relabeling'] as const;
type HealthName = (typeof HEALTH)[number];

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
  /** Per target URL: its series, for collisions, the series limit and stale markers (see series-book.ts). */
  private readonly tracked = new Map<string, Tracked>();
  /** Per target URL: what its last page held, so an unchanged series is recognised, not parsed again. */
  private readonly memos = new Map<string, ScrapeMemo>();
  /** Series admitted under `series_limit` (see `admit`). */
  private readonly admitted = new Set<string>();
  /** Probed targets that answered last round (their disappearance is reported once with up=0). */
  private readonly present = new Set<string>();
  /** Targets currently failing, so each failure streak is logged once. */
  private readonly failing = new Set<string>();
  /** Samples the last round gave: the size of the next round's array (see SampleRows). */
  private lastRound = 0;
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
    const out = new SampleRows(this.lastRound);
    const seen = new Set<string>();
    const limit = { dropped: 0, first: '' };
    let up = 0;
    for (const o of outcomes) {
      const group = o.target.url;
      if (o.kind === 'absent') {
        // Was answering last round, now the port is closed: say so once with up=0; next round `up` goes stale.
        this.memos.delete(group);
        if (!this.present.delete(group)) continue;
        this.ctx.logger.info({ target: o.target.instance }, 'reporter is gone (port closed); its series end with stale markers');
      } else if (o.target.probed) this.present.add(group);
      const t = this.trackedOf(o.target);
      t.book.begin();
      if (o.kind === 'absent') this.health(t, out, roundMs, 0);
      else if (o.kind === 'down') this.health(t, out, o.startMs, 0, { seconds: o.seconds });
      else {
        const kept = this.accept(o, t.book, out, limit);
        this.health(t, out, o.startMs, 1, { seconds: o.seconds, scraped: o.read.scraped, kept });
        up++;
      }
      seen.add(group);
      t.book.sweep(roundMs, out, this.ended);
    }
    for (const [group, t] of this.tracked) {
      if (seen.has(group)) continue;
      this.memos.delete(group);
      // Deleting the current key while iterating a Map is safe: iteration continues with the next entry.
      this.tracked.delete(group);
      t.book.end(roundMs, out, this.ended);
    }

    if (limit.dropped > 0) {
      this.m.limitDropped.inc(limit.dropped);
      this.ctx.logger.warn({ series_limit: this.cfg.series_limit, dropped: limit.dropped, first: limit.first }, 'series_limit reached: new series dropped this round; raise series_limit or narrow include/exclude');
    }
    this.m.targetsUp.set(up);
    this.lastRound = out.length;
    const staticDown = outcomes.filter((o) => o.kind === 'down' && !o.target.probed).map((o) => o.target.instance);
    if (up === 0) this.ctx.status.error(`no Flink reporter answered (${this.describeWhere()})`);
    else if (staticDown.length > 0) this.ctx.status.error(`reporter URLs not answering: ${staticDown.join(', ')}`);
    else this.ctx.status.ok();
    return out.done();
  }

  /** One GET; a refused connection on a probed port means "no process there", not a failure. */
  private async scrape(target: Target, signal: AbortSignal): Promise<Outcome> {
    const startMs = Date.now();
    const t0 = performance.now();
    const seconds = (): number => (performance.now() - t0) / 1000;
    try {
      // A target's first page is collected on its own; its memo (and page buffers) exist once it has answered, so a
      // probed port with nothing behind it costs nothing per round.
      let memo = this.memos.get(target.url);
      const res = await httpGet(target.url, this.timeoutMs, signal, ACCEPT, memo?.nextPage());
      if (res.status !== 200) return this.down(target, startMs, seconds(), `HTTP ${res.status}: ${res.body.toString('utf8', 0, 200)}`);
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

  /** Adds a successful scrape's samples to `out`, reports its parse problems and collisions; returns the series kept. */
  private accept(o: Extract<Outcome, { kind: 'up' }>, book: SeriesBook, out: SampleRows, limit: { dropped: number; first: string }): number {
    const { read, target } = o;
    if (read.errors > 0) {
      this.m.parseErrors.inc(read.errors);
      const e = read.firstError!;
      this.ctx.logger.warn({ target: target.instance, errors: read.errors, line: e.line, reason: e.reason, text: e.text }, `${read.errors} exposition line(s) skipped; first at line ${e.line}: ${e.reason}`);
    }
    const page = book.addPage(read.series, read.samples, out, this.admit);
    if (page.collisions > 0) {
      this.m.collisions.inc(page.collisions);
      this.ctx.logger.warn({ target: target.instance, collisions: page.collisions, first: page.firstCollision }, 'dropping drop_labels made series identical; kept the latest task attempt');
    }
    if (page.refused > 0) {
      if (limit.dropped === 0) limit.first = page.firstRefused!;
      limit.dropped += page.refused;
    }
    return page.kept;
  }

  /** `series_limit`: a series stays admitted until it ends, so the cut is stable from round to round. */
  private readonly admit = (key: string): boolean => {
    if (this.admitted.has(key)) return true;
    if (this.admitted.size >= this.cfg.series_limit) return false;
    this.admitted.add(key);
    return true;
  };

  /** A series ended (its stale marker is out): it frees its place under the series limit. */
  private readonly ended = (key: string): void => {
    this.admitted.delete(key);
  };

  private trackedOf(target: Target): Tracked {
    let t = this.tracked.get(target.url);
    if (t === undefined) {
      // Frozen and shared by every round's health samples, like the scraped series' labels (sinks key caches on them).
      const health = Object.freeze({ ...this.base, instance: target.instance });
      const keys = Object.fromEntries(HEALTH.map((name) => [name, seriesKey(name, health)])) as Record<HealthName, string>;
      this.tracked.set(target.url, (t = { book: new SeriesBook(), health, keys }));
    }
    return t;
  }

  /** `up`, `scrape_duration_seconds`, `scrape_samples_scraped`, `scrape_samples_post_metric_relabeling`, like Prometheus. */
  private health(t: Tracked, out: SampleRows, timestampMs: number, upValue: number, detail?: { seconds: number; scraped?: number; kept?: number }): void {
    const put = (name: HealthName, value: number): void => {
      t.book.put(t.keys[name], { kind: 'sample', name, labels: t.health, value, timestampMs, metricType: 'gauge' }, out);
    };
    put('up', upValue);
    if (!detail) return;
    put('scrape_duration_seconds', detail.seconds);
    if (detail.scraped !== undefined) put('scrape_samples_scraped', detail.scraped);
    if (detail.kept !== undefined) put('scrape_samples_post_metric_relabeling', detail.kept);
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
