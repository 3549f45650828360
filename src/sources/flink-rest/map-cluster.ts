// Cluster-wide figures: /overview, /taskmanagers and the job list. Pure functions from response to samples.
import type { JobsOverviewResponse, OverviewResponse, TaskManagersResponse } from './responses';
import { JOB_STATE_CODES, type SampleBuilder, sanitizeLabelValue } from './samples';

/** /overview → the reporter's JobManager gauges (same names, so dashboards need not care which source ran). */
export function mapOverview(o: OverviewResponse, b: SampleBuilder): void {
  b.add('flink_jobmanager_numRegisteredTaskManagers', {}, o.taskmanagers);
  b.add('flink_jobmanager_taskSlotsTotal', {}, o['slots-total']);
  b.add('flink_jobmanager_taskSlotsAvailable', {}, o['slots-available']);
  b.add('flink_jobmanager_numRunningJobs', {}, o['jobs-running']);
  // No reporter equivalent: the blocklist (1.16+) and the version, useful beside every other figure.
  b.add('flink_rest_taskmanagers_blocked', {}, o['taskmanagers-blocked']);
  if (o['flink-version'] !== undefined) {
    b.add('flink_rest_build_info', { flink_version: o['flink-version'], flink_commit: o['flink-commit'] ?? '' }, 1);
  }
}

/**
 * /taskmanagers → per-TaskManager slots and heartbeat age. `tm_id` is sanitised like the reporter's label, so it
 * joins with `flink_taskmanager_*` series. `nowMs` should be the JobManager's clock when known.
 */
export function mapTaskManagers(t: TaskManagersResponse, nowMs: number, b: SampleBuilder): void {
  for (const tm of t.taskmanagers) {
    const labels = { tm_id: sanitizeLabelValue(tm.id) };
    b.add('flink_rest_taskmanager_slots_total', labels, tm.slotsNumber);
    b.add('flink_rest_taskmanager_slots_free', labels, tm.freeSlots);
    // A TaskManager that stops heartbeating shows here well before Flink declares it lost (50 s by default).
    if (tm.timeSinceLastHeartbeat !== undefined && tm.timeSinceLastHeartbeat > 0) {
      b.add('flink_rest_taskmanager_heartbeat_age_seconds', labels, Math.max(0, nowMs - tm.timeSinceLastHeartbeat) / 1000);
    }
    if (tm.blocked !== undefined) b.add('flink_rest_taskmanager_blocked', labels, tm.blocked ? 1 : 0);
  }
}

/** /jobs/overview → `flink_rest_jobs{state}`, one series per known JobStatus (0 included, so no series flaps). */
export function mapJobCounts(jobs: JobsOverviewResponse, b: SampleBuilder): void {
  const counts = new Map<string, number>(Object.keys(JOB_STATE_CODES).map((s) => [s, 0]));
  for (const job of jobs.jobs) counts.set(job.state, (counts.get(job.state) ?? 0) + 1);
  for (const [state, n] of counts) b.add('flink_rest_jobs', { state }, n);
}
