// What the agent hands every component (source, transform, sink) when it builds it. Components never read YAML,
// env vars or global state: everything they may touch arrives here.
import type { Logger } from 'pino';

/** Agent-wide identity and places, from the `agent:` section of the config. */
export interface AgentInfo {
  /** Logical Flink cluster name, a label on every sample and log record. */
  cluster: string;
  /** This node's name (defaults to the host name), a label on every sample and log record. */
  node: string;
  /** Extra labels from config, added to every sample and log record. */
  labels: Record<string, string>;
  /** Directory the agent owns: disk queues, offsets, dead letters, the file sink. */
  dataDir: string;
}

export interface Counter { inc(n?: number): void }
export interface Gauge { set(value: number): void }

/**
 * A component's own metrics. The agent registers them in prom-client as `fta_<name>` with labels
 * `component_kind`, `component_name`, `component_type`, so `/metrics` shows e.g.
 * `fta_parse_errors_total{component_name="flink_reporters"}`. Call these at build time, not per record.
 */
export interface ComponentMetrics {
  counter(name: string, help: string): Counter;
  gauge(name: string, help: string): Gauge;
}

/** The component's health as shown in `/status` and used by `/readyz`. */
export interface ComponentStatus {
  /** Record the last error (a clear sentence naming the cause); shown in /status until the next success. */
  error(message: string): void;
  /** Clear the last error after a success. */
  ok(): void;
}

export interface ComponentContext {
  /** The name the component has in the config (`sources.<name>`, `sinks.<name>`). */
  name: string;
  agent: AgentInfo;
  logger: Logger;
  metrics: ComponentMetrics;
  status: ComponentStatus;
}
