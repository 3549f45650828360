// A ComponentContext for source unit tests (flink_prometheus and host): it records log lines, counter totals,
// gauge values and the last /status verdict, so tests assert on what an operator would see.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import pino from 'pino';
import type { ComponentContext } from '../../src/component';
import type { Sample } from '../../src/model';
import { SampleRows } from '../../src/sources/flink-prometheus/sample-rows';
import type { ShapedSeries } from '../../src/sources/flink-prometheus/series';
import { SeriesBook } from '../../src/sources/flink-prometheus/series-book';

export interface RecordedContext extends ComponentContext {
  logs: Array<{ level: number; msg: string; [k: string]: unknown }>;
  counters: Map<string, number>;
  gauges: Map<string, number>;
  lastStatus: { ok: boolean; message?: string };
}

export function recordingContext(name = 'test_source'): RecordedContext {
  const logs: RecordedContext['logs'] = [];
  const counters = new Map<string, number>();
  const gauges = new Map<string, number>();
  const ctx: RecordedContext = {
    name,
    agent: { cluster: 'c1', node: 'n1', labels: { env: 'test' }, dataDir: '/nonexistent' },
    logger: pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) }),
    metrics: {
      counter: (metric) => {
        counters.set(metric, 0);
        return { inc: (n = 1) => void counters.set(metric, (counters.get(metric) ?? 0) + n) };
      },
      gauge: (metric) => ({ set: (v) => void gauges.set(metric, v) }),
    },
    status: {
      error: (message) => void (ctx.lastStatus = { ok: false, message }),
      ok: () => void (ctx.lastStatus = { ok: true }),
    },
    logs,
    counters,
    gauges,
    lastStatus: { ok: true },
  };
  return ctx;
}

/** Log lines at warn (40) and above. */
export function warnings(ctx: RecordedContext): RecordedContext['logs'] {
  return ctx.logs.filter((l) => l.level >= 40);
}

/** test/fixtures/prometheus (tests run from dist/test/sources). */
export const FIXTURES = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'prometheus');
export const fixture = (name: string): string => readFileSync(path.join(FIXTURES, name), 'utf8');

/** One scrape through a fresh SeriesBook, as a map: series key → the sample kept (collision rule applied). */
export function oneScrape(series: readonly ShapedSeries[], samples: readonly Sample[]): { series: Map<string, Sample>; collisions: number } {
  const book = new SeriesBook();
  book.begin();
  const out = new SampleRows(series.length);
  const page = book.addPage(series, samples, out, () => true);
  // Rows follow the first-seen order of the keys (a collision replaces its series' row in place).
  const rows = out.done();
  const keys = [...new Set(series.map((s) => s.key))];
  return { series: new Map(keys.map((key, i) => [key, rows[i]!])), collisions: page.collisions };
}
