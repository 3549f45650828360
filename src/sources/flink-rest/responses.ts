// The parts of Flink's REST responses this source reads, as 1.20 and 2.x send them. Every field that one of the
// versions lacks (or that Flink leaves out when null) is optional, so a missing field never breaks a round.

/** GET /overview */
export interface OverviewResponse {
  taskmanagers: number;
  'slots-total': number;
  'slots-available': number;
  'jobs-running': number;
  'jobs-finished'?: number;
  'jobs-cancelled'?: number;
  'jobs-failed'?: number;
  'flink-version'?: string;
  'flink-commit'?: string;
  /** 1.16+ blocklist figures. */
  'taskmanagers-blocked'?: number;
  'slots-free-and-blocked'?: number;
}

/** GET /taskmanagers */
export interface TaskManagersResponse {
  taskmanagers: Array<{
    id: string;
    path?: string;
    timeSinceLastHeartbeat?: number;
    slotsNumber?: number;
    freeSlots?: number;
    blocked?: boolean;
  }>;
}

/** GET /jobs/overview */
export interface JobsOverviewResponse {
  jobs: Array<{
    jid: string;
    name: string;
    state: string;
    'start-time'?: number;
    'end-time'?: number;
    'last-modification'?: number;
  }>;
}

export interface VertexInfo {
  id: string;
  name: string;
  parallelism?: number;
  status?: string;
}

/** GET /jobs/:jid */
export interface JobDetailsResponse {
  jid: string;
  name: string;
  state: string;
  'start-time'?: number;
  now?: number;
  /** JobStatus → the last time the job entered it (0 when never). */
  timestamps?: Record<string, number>;
  vertices?: VertexInfo[];
}

export interface CompletedCheckpoint {
  id: number;
  trigger_timestamp?: number;
  latest_ack_timestamp?: number;
  end_to_end_duration?: number;
  checkpointed_size?: number;
  state_size?: number;
  external_path?: string;
}

/** GET /jobs/:jid/checkpoints */
export interface CheckpointsResponse {
  counts?: { restored?: number; total?: number; in_progress?: number; completed?: number; failed?: number };
  latest?: {
    completed?: CompletedCheckpoint | null;
    failed?: { id: number; failure_timestamp?: number; failure_message?: string } | null;
    restored?: { id: number; restore_timestamp?: number } | null;
  };
}

/** One entry of `exceptionHistory.entries` (1.20 names the host `location` and `endpoint`; 2.x only `endpoint`). */
export interface RootExceptionEntry {
  exceptionName: string;
  stacktrace: string;
  timestamp: number;
  taskName?: string | null;
  location?: string | null;
  endpoint?: string | null;
  taskManagerId?: string | null;
  failureLabels?: Record<string, string>;
  concurrentExceptions?: unknown[];
}

/** GET /jobs/:jid/exceptions. The deprecated top-level fields (gone in 2.x) are deliberately not read. */
export interface ExceptionsResponse {
  exceptionHistory?: { entries?: RootExceptionEntry[]; truncated?: boolean };
}

/** GET …/metrics?get=a,b: a bare array; value is a string. */
export type MetricValuesResponse = Array<{ id: string; value?: string }>;

/** GET …/subtasks/metrics?get=…&agg=…: a bare array; each aggregate is left out when null. */
export type AggregatedMetricsResponse = Array<{ id: string; min?: number; max?: number; avg?: number; sum?: number }>;

/** GET /jobmanager/config */
export type JobManagerConfigResponse = Array<{ key: string; value: string }>;
