// Filter: drop samples by metric name and log records by level or logger. What it drops is counted.
import type { ComponentContext } from '../../component';
import type { LogLevel, TelemetryRecord } from '../../model';
import type { Transform, TransformDefinition } from '../types';
import { filterSchema, type FilterConfig } from './schema';

const LEVELS: LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];

/** One regex that fully matches any of `patterns`, or undefined for an empty list. */
function anyOf(patterns: string[]): RegExp | undefined {
  return patterns.length ? new RegExp(`^(?:${patterns.map((p) => `(?:${p})`).join('|')})$`) : undefined;
}

function passes(value: string, keep: RegExp | undefined, drop: RegExp | undefined): boolean {
  return (!keep || keep.test(value)) && !(drop && drop.test(value));
}

/** The predicate a filter applies; exported for tests and `once`. */
export function filterPredicate(c: FilterConfig): (r: TelemetryRecord) => boolean {
  const keepMetrics = anyOf(c.metrics.keep);
  const dropMetrics = anyOf(c.metrics.drop);
  const keepLoggers = anyOf(c.logs.keep_loggers);
  const dropLoggers = anyOf(c.logs.drop_loggers);
  const minLevel = LEVELS.indexOf(c.logs.min_level.toUpperCase() as LogLevel);
  return (r) =>
    r.kind === 'sample'
      ? passes(r.name, keepMetrics, dropMetrics)
      : LEVELS.indexOf(r.level) >= minLevel && passes(r.logger ?? '', keepLoggers, dropLoggers);
}

export function createFilter(c: FilterConfig, ctx: Pick<ComponentContext, 'metrics'>): Transform {
  const keep = filterPredicate(c);
  // Dropping is what the user asked for, but silent loss is never allowed: the counter shows how much went.
  const dropped = ctx.metrics.counter('filter_dropped_records_total', 'Records a filter transform dropped on purpose.');
  return {
    apply(records) {
      const out = records.filter(keep);
      if (out.length !== records.length) dropped.inc(records.length - out.length);
      return out;
    },
  };
}

export const filterTransform: TransformDefinition<typeof filterSchema> = {
  type: 'filter',
  description: 'Keep or drop samples by metric name and log records by level or logger.',
  schema: filterSchema,
  create: (config, ctx) => createFilter(config, ctx),
};
