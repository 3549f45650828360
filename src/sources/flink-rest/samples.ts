// Building samples in the vocabulary of Flink's Prometheus reporter: same names, same label keys, label values
// sanitised the way the reporter does it, so one dashboard fits whichever source a figure came from.
import type { Labels, MetricType, Sample } from '../../model';

/** The reporter's default `filterLabelValueCharacters`: every character outside [a-zA-Z0-9:_] becomes `_`. */
export function sanitizeLabelValue(value: string): string {
  return value.replace(/[^a-zA-Z0-9:_]/g, '_');
}

/**
 * JobStatus → the number `flink_rest_job_state` carries (the `state` label says the same in words). Ordered so
 * that "healthy" is 1 and everything above needs a look; unknown future states get -1.
 */
export const JOB_STATE_CODES: Readonly<Record<string, number>> = {
  INITIALIZING: 0,
  RUNNING: 1,
  CREATED: 2,
  RECONCILING: 3,
  RESTARTING: 4,
  FAILING: 5,
  CANCELLING: 6,
  SUSPENDED: 7,
  FINISHED: 8,
  CANCELED: 9,
  FAILED: 10,
};

export function jobStateCode(state: string): number {
  return JOB_STATE_CODES[state] ?? -1;
}

/** States after which a job never changes again: its figures are final, so they are fetched once. */
export const TERMINAL_STATES = new Set(['FINISHED', 'CANCELED', 'FAILED', 'SUSPENDED']);

/** Labels that identify a job the way the reporter's `jobmanager_job` scope does. */
export function jobLabels(jobId: string, jobName: string): Labels {
  return { job_id: jobId, job_name: sanitizeLabelValue(jobName) };
}

/** Collects the samples of one round: one timestamp, the base labels (cluster, node, config labels) on each. */
export class SampleBuilder {
  readonly samples: Sample[] = [];
  constructor(
    private readonly base: Labels,
    readonly timestampMs: number,
  ) {}

  /** Adds one sample; a value that is absent or not finite (Flink's -1 "unknown" stays) is skipped. */
  add(name: string, labels: Labels, value: number | undefined | null, metricType: MetricType = 'gauge'): void {
    if (value === undefined || value === null || !Number.isFinite(value)) return;
    this.samples.push({ kind: 'sample', name, labels: { ...this.base, ...labels }, value, timestampMs: this.timestampMs, metricType });
  }

  /** A staleness marker: the series ended (e.g. a job left the `state` it was labelled with). */
  stale(name: string, labels: Labels): void {
    this.samples.push({ kind: 'sample', name, labels: { ...this.base, ...labels }, value: Number.NaN, timestampMs: this.timestampMs, metricType: 'gauge', stale: true });
  }
}
