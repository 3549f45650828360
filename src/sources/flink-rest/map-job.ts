// Job-level figures: state, uptime, restarts and checkpoints. Pure functions from responses to samples; names
// follow the reporter's `jobmanager_job` scope, and the extras the reporter lacks are `flink_rest_job_*`.
import type { Labels } from '../../model';
import type { CheckpointsResponse, JobDetailsResponse, MetricValuesResponse } from './responses';
import { jobStateCode, type SampleBuilder } from './samples';

/** `flink_rest_job_state{state}` = the state's code; the previous state's series gets a staleness marker. */
export function mapJobState(labels: Labels, state: string, previousState: string | undefined, b: SampleBuilder): void {
  if (previousState !== undefined && previousState !== state) b.stale('flink_rest_job_state', { ...labels, state: previousState });
  b.add('flink_rest_job_state', { ...labels, state }, jobStateCode(state));
}

/**
 * Uptime as the reporter computes it: time since the job last entered RUNNING while it is RUNNING, else 0.
 * Uses the JobManager's own `now` so a skewed agent clock cannot distort it.
 */
export function mapJobDetails(labels: Labels, job: JobDetailsResponse, b: SampleBuilder): void {
  const runningSince = job.timestamps?.['RUNNING'] ?? 0;
  const now = job.now ?? b.timestampMs;
  b.add('flink_jobmanager_job_uptime', labels, job.state === 'RUNNING' && runningSince > 0 ? Math.max(0, now - runningSince) : 0);
  b.add('flink_rest_job_vertices', labels, job.vertices?.length);
}

/** The job-scope metric names asked of /jobs/:id/metrics (served from the JobManager's metric store). */
export const JOB_METRIC_NAMES = ['numRestarts'] as const;

/**
 * /jobs/:id/metrics?get=numRestarts → `flink_jobmanager_job_numRestarts` (values arrive as strings). Typed gauge,
 * as the reporter exports Flink counters.
 */
export function mapJobMetrics(labels: Labels, values: MetricValuesResponse, b: SampleBuilder): void {
  for (const m of values) {
    if (m.value === undefined || m.value === '') continue;
    b.add(`flink_jobmanager_job_${m.id}`, labels, Number(m.value));
  }
}

/**
 * /jobs/:id/checkpoints → the reporter's checkpoint gauges plus the last completed checkpoint's id and age.
 * Read from the checkpoint statistics (live) rather than the metric store (up to 10 s old). `nowMs` should be
 * the JobManager's clock (`now` of /jobs/:id) when known.
 */
export function mapCheckpoints(labels: Labels, cp: CheckpointsResponse, nowMs: number, b: SampleBuilder): void {
  const c = cp.counts;
  if (c) {
    b.add('flink_jobmanager_job_numberOfCompletedCheckpoints', labels, c.completed);
    b.add('flink_jobmanager_job_numberOfFailedCheckpoints', labels, c.failed);
    b.add('flink_jobmanager_job_numberOfInProgressCheckpoints', labels, c.in_progress);
    b.add('flink_jobmanager_job_totalNumberOfCheckpoints', labels, c.total);
  }
  const last = cp.latest?.completed;
  if (last) {
    b.add('flink_jobmanager_job_lastCheckpointDuration', labels, last.end_to_end_duration);
    // Since 1.15 the reporter's lastCheckpointSize is the incremental (checkpointed) size; FullSize the whole state.
    b.add('flink_jobmanager_job_lastCheckpointSize', labels, last.checkpointed_size);
    b.add('flink_jobmanager_job_lastCheckpointFullSize', labels, last.state_size);
    b.add('flink_rest_job_last_checkpoint_id', labels, last.id);
    const completedAt = last.latest_ack_timestamp ?? last.trigger_timestamp;
    if (completedAt !== undefined && completedAt > 0) b.add('flink_rest_job_last_checkpoint_age_seconds', labels, Math.max(0, nowMs - completedAt) / 1000);
  }
  const restored = cp.latest?.restored;
  if (restored?.restore_timestamp !== undefined) b.add('flink_jobmanager_job_lastCheckpointRestoreTimestamp', labels, restored.restore_timestamp);
  const failed = cp.latest?.failed;
  if (failed?.failure_timestamp !== undefined) b.add('flink_rest_job_last_failed_checkpoint_timestamp_seconds', labels, failed.failure_timestamp / 1000);
}
