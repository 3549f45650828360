// Plain data that flows from sources through transforms and the router to sinks. No I/O lives here.

/** Label set of a sample; keys follow Flink's Prometheus reporter (`job_name`, `task_name`, `tm_id`, …). */
export type Labels = Record<string, string>;

/** Prometheus type of a metric family, when the source knows it. Sinks may use it; none may require it. */
export type MetricType = 'gauge' | 'counter' | 'summary' | 'histogram' | 'untyped';

/**
 * One metric point. Names and labels follow Flink's Prometheus reporter whatever the source
 * (`flink_taskmanager_job_task_busyTimeMsPerSecond{job_name=…}`), so one dashboard fits all of them.
 * Identity is (name, sorted labels, timestamp): replays of the same sample overwrite, never duplicate.
 */
export interface Sample {
  readonly kind: 'sample';
  name: string;
  labels: Labels;
  value: number;
  timestampMs: number;
  metricType?: MetricType;
  /** True for a Prometheus staleness marker: the series ended (target or series disappeared). */
  stale?: boolean;
}

export type LogLevel = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'FATAL';

/** A Java exception joined from a stack trace: the first throwable and its `Caused by` chain. */
export interface ExceptionInfo {
  /** Fully-qualified class of the outermost throwable, e.g. `java.io.IOException`. */
  type: string;
  message: string;
  /** The whole stack trace text, header included, as Flink wrote it. */
  stack: string;
  /** `Caused by:` entries, outermost first. */
  causes: Array<{ type: string; message: string }>;
}

/**
 * One log line (with its stack trace joined) or one event (a job state change, a job exception).
 * `id` is deterministic — (node, file identity, byte offset) for file lines, (job id, timestamp, name) for
 * REST events — so a replay after a crash is stored once by OpenSearch and PostgreSQL.
 */
export interface LogRecord {
  readonly kind: 'log';
  id: string;
  /** `log` for a line from a file or journald; `event` for something the agent derived (state change, exception). */
  logKind: 'log' | 'event';
  timestampMs: number;
  level: LogLevel;
  message: string;
  /** log4j logger (`%c`), e.g. `org.apache.flink.runtime.checkpoint.CheckpointCoordinator`. */
  logger?: string;
  /** Thread or NDC context when the layout carries one. */
  thread?: string;
  /** `jobmanager`, `taskmanager`, `historyserver`, `client`, `sql-gateway`, … */
  component?: string;
  /** Which stream of the component: the `.log` file, the `.out` file, journald, the REST API. */
  stream?: 'log' | 'out' | 'journald' | 'rest';
  exception?: ExceptionInfo;
  /** Fields picked out of the message and where it came from: job_id, task_name, checkpoint_id, file, … */
  attributes: Record<string, string>;
  /** Agent labels: cluster, node and whatever the config adds. */
  labels: Labels;
}

/** What flows through the pipeline. */
export type TelemetryRecord = Sample | LogRecord;

export function isSample(r: TelemetryRecord): r is Sample {
  return r.kind === 'sample';
}

export function isLogRecord(r: TelemetryRecord): r is LogRecord {
  return r.kind === 'log';
}

/** `name{k1="v1",k2="v2"}` with labels sorted by key: the series identity used by every sink and guard. */
export function seriesKey(name: string, labels: Labels): string {
  const keys = Object.keys(labels).sort();
  let out = name + '{';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    out += (i ? ',' : '') + k + '="' + labels[k] + '"';
  }
  return out + '}';
}
