// Shared by the flink_rest unit and integration tests: fixtures, a context that records what the source told
// the agent (status, warnings), and small sample look-ups.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import pino from 'pino';
import type { Labels, Sample, TelemetryRecord, LogRecord } from '../../src/model';
import { isLogRecord, isSample } from '../../src/model';
import type { SourceContext } from '../../src/sources/types';

const FIXTURES = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'flink-rest');

export function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(path.join(FIXTURES, name), 'utf8')) as T;
}

export interface RecordingContext extends Pick<SourceContext, 'name' | 'agent' | 'logger' | 'metrics' | 'status'> {
  statusErrors: string[];
  statusOks: number;
  logs: Array<{ level: number; msg: string; path?: string }>;
  counters: Map<string, number>;
  gauges: Map<string, number>;
}

/** A real pino logger writing into an array, so tests can count warnings and see each request (trace). */
export function recordingContext(node = 'node-1'): RecordingContext {
  const logs: RecordingContext['logs'] = [];
  const logger = pino({ level: 'trace' }, { write: (line: string) => { logs.push(JSON.parse(line) as RecordingContext['logs'][number]); } });
  const ctx: RecordingContext = {
    name: 'flink_api',
    agent: { cluster: 'test-cluster', node, labels: { dc: 'lab' }, dataDir: '/tmp' },
    logger,
    statusErrors: [],
    statusOks: 0,
    logs,
    counters: new Map(),
    gauges: new Map(),
    metrics: {
      counter: (name) => ({ inc: (n = 1) => ctx.counters.set(name, (ctx.counters.get(name) ?? 0) + n) }),
      gauge: (name) => ({ set: (v) => ctx.gauges.set(name, v) }),
    },
    status: { error: (m) => ctx.statusErrors.push(m), ok: () => { ctx.statusOks++; } },
  };
  return ctx;
}

export function samples(records: TelemetryRecord[]): Sample[] {
  return records.filter(isSample);
}

export function events(records: TelemetryRecord[]): LogRecord[] {
  return records.filter(isLogRecord);
}

/** The one sample with this name whose labels include `match`; throws when none or several match. */
export function one(records: TelemetryRecord[], name: string, match: Labels = {}): Sample {
  const found = samples(records).filter((s) => s.name === name && !s.stale && Object.entries(match).every(([k, v]) => s.labels[k] === v));
  if (found.length !== 1) throw new Error(`expected one ${name}${JSON.stringify(match)}, found ${found.length}: ${samples(records).map((s) => s.name).filter((n, i, a) => a.indexOf(n) === i).join(', ')}`);
  return found[0]!;
}

/** Paths the source requested since log entry `from` (trace lines), to check what a round cost. */
export function requestedPaths(ctx: RecordingContext, from = 0): string[] {
  return ctx.logs.slice(from).filter((l) => l.msg === 'GET' && l.path).map((l) => l.path!);
}
