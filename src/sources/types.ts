// The contract between the agent and a source. A source turns Flink (or the host) into samples and log records;
// it knows no sink.
import type { z } from 'zod';
import type { ComponentContext } from '../component';
import type { TelemetryRecord } from '../model';

/** Durable key/value state of one source (file offsets, a journald cursor), kept under the data directory. */
export interface SourceState {
  get<T>(key: string): T | undefined;
  /** Persists atomically (write + rename). Call only after `emit` resolved for what the value covers. */
  set(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<void>;
  keys(): string[];
}

export interface SourceContext extends ComponentContext {
  /**
   * Hands records to the pipeline. Resolves once every sink this source feeds has durably taken them (sent, or
   * written to its disk queue); only then may the source commit its progress (offset, cursor). It waits while a
   * sink's buffer is full under `when_full: block`. Rejects when the agent is stopping: do not commit then.
   */
  emit(records: TelemetryRecord[]): Promise<void>;
  state: SourceState;
  /** Aborted when the agent stops or reloads. */
  signal: AbortSignal;
}

/**
 * A polled source implements `collect` (the agent calls it on the source's `interval` or `cron` and emits what it
 * returns). A streaming source (tailers) implements `run`, which emits by itself until `ctx.signal` aborts.
 * `once` (the CLI's dry run) calls `collect`, or `preview` for a streaming source.
 */
export interface Source {
  collect?(signal: AbortSignal): Promise<TelemetryRecord[]>;
  run?(): Promise<void>;
  /** One readable round for `flink-telemetry-agent once`, nothing committed (e.g. the last lines of each file). */
  preview?(signal: AbortSignal): Promise<TelemetryRecord[]>;
  /** True once the source has collected successfully since start (feeds /readyz). */
  close?(): Promise<void>;
}

export interface SourceDefinition<S extends z.ZodType = z.ZodType> {
  /** The `type:` value in YAML, e.g. `flink_prometheus`. */
  type: string;
  /** One line for docs and `--help`. */
  description: string;
  /** A `z.strictObject` with `type: z.literal(<type>)` and the spread of `sourceCommonShape`. */
  schema: S;
  create(config: z.output<S>, ctx: SourceContext): Source;
}
