// Job exceptions and job state changes as event records, each emitted ONCE.
// A polled source has no durable seen-set, so two things make "once" hold:
//   1. in memory, an id already emitted is never emitted again (while the agent runs);
//   2. ids are deterministic, derived from what Flink keeps (exception timestamp + class, the `timestamps` map of
//      /jobs/:id), so after an agent restart the re-derived records carry the same ids and OpenSearch/PostgreSQL
//      store them once.
import type { Labels, LogLevel, LogRecord } from '../../model';
import type { ExceptionsResponse, JobDetailsResponse } from './responses';
import { JOB_STATE_CODES } from './samples';
import { parseStackTrace } from '../shared/java-exception';

/** Level of a state-change event by the state entered. */
export function stateLevel(state: string): LogLevel {
  if (state === 'FAILED' || state === 'FAILING') return 'ERROR';
  if (state === 'RESTARTING' || state === 'CANCELLING' || state === 'CANCELED' || state === 'SUSPENDED') return 'WARN';
  return 'INFO';
}

export function exceptionId(jobId: string, timestamp: number, exceptionName: string): string {
  return `rest:exception:${jobId}:${timestamp}:${exceptionName}`;
}

export function stateId(jobId: string, state: string, timestamp: number): string {
  return `rest:state:${jobId}:${state}:${timestamp}`;
}

/** Entries of /jobs/:id/exceptions → records (exceptionHistory only: the legacy top-level fields are gone in 2.x). */
export function exceptionRecords(jobId: string, jobName: string, resp: ExceptionsResponse, labels: Labels): LogRecord[] {
  const out: LogRecord[] = [];
  for (const e of resp.exceptionHistory?.entries ?? []) {
    const exception = parseStackTrace(e.stacktrace ?? '', e.exceptionName);
    const firstLine = (e.stacktrace ?? '').split('\n', 1)[0]!.trim();
    const attributes: Record<string, string> = { job_id: jobId, job_name: jobName };
    if (e.taskName) attributes['task_name'] = e.taskName;
    const location = e.location ?? e.endpoint; // 2.x dropped `location` for `endpoint`
    if (location) attributes['location'] = location;
    if (e.taskManagerId) attributes['taskmanager_id'] = e.taskManagerId;
    if (e.concurrentExceptions?.length) attributes['concurrent_exceptions'] = String(e.concurrentExceptions.length);
    for (const [k, v] of Object.entries(e.failureLabels ?? {})) attributes[`failure_label.${k}`] = v;
    out.push({
      kind: 'log',
      id: exceptionId(jobId, e.timestamp, e.exceptionName),
      logKind: 'event',
      timestampMs: e.timestamp,
      level: 'ERROR',
      message: firstLine.startsWith(e.exceptionName) ? firstLine : `${e.exceptionName}: ${firstLine}`,
      component: 'jobmanager',
      stream: 'rest',
      exception,
      attributes,
      labels,
    });
  }
  return out;
}

/** The states the job entered, oldest first (`timestamps` keeps the LAST entry time of each state; 0 = never). */
export function enteredStates(job: JobDetailsResponse): Array<{ state: string; ts: number }> {
  const order = (s: string) => JOB_STATE_CODES[s] ?? 99;
  return Object.entries(job.timestamps ?? {})
    .filter(([, ts]) => ts > 0)
    .map(([state, ts]) => ({ state, ts }))
    .sort((a, b) => a.ts - b.ts || order(a.state) - order(b.state));
}

function stateRecord(job: JobDetailsResponse, from: string | undefined, to: string, ts: number, labels: Labels): LogRecord {
  const attributes: Record<string, string> = { job_id: job.jid, job_name: job.name, to_state: to };
  if (from !== undefined) attributes['from_state'] = from;
  return {
    kind: 'log',
    id: stateId(job.jid, to, ts),
    logKind: 'event',
    timestampMs: ts,
    level: stateLevel(to),
    message: from === undefined ? `Job ${job.name} (${job.jid}) entered state ${to}.` : `Job ${job.name} (${job.jid}) switched from state ${from} to ${to}.`,
    component: 'jobmanager',
    stream: 'rest',
    attributes,
    labels,
  };
}

/** Ids kept per job; far above Flink's exception history (16) so an id still listed is never forgotten. */
const MAX_IDS_PER_JOB = 2000;

/** The in-memory half of "once": what was emitted, and the state each job was last seen in. */
export class EventTracker {
  private readonly seen = new Map<string, Set<string>>();
  private readonly lastState = new Map<string, string>();

  /** Exception records of a job not emitted before. */
  newExceptions(jobId: string, jobName: string, resp: ExceptionsResponse, labels: Labels): LogRecord[] {
    return exceptionRecords(jobId, jobName, resp, labels).filter((r) => this.firstTime(jobId, r.id));
  }

  /**
   * State changes of a job not emitted before. `from_state` is the state the job was last seen in when the agent
   * watched it; on first sight it is the state with the next-older timestamp (the map only keeps the last entry
   * of each state, so after a restart of the job that guess can be off; the id never is).
   */
  newStateChanges(job: JobDetailsResponse, labels: Labels): LogRecord[] {
    const entered = enteredStates(job);
    let from = this.lastState.get(job.jid);
    const watched = from !== undefined;
    const out: LogRecord[] = [];
    entered.forEach(({ state, ts }, i) => {
      if (!this.firstTime(job.jid, stateId(job.jid, state, ts))) return;
      const prev = watched ? from : entered[i - 1]?.state;
      out.push(stateRecord(job, prev, state, ts, labels));
      from = state;
    });
    this.lastState.set(job.jid, job.state);
    return out;
  }

  /** Forget jobs Flink no longer lists (archived), so memory follows the cluster. */
  retain(jobIds: Set<string>): void {
    for (const id of this.seen.keys()) if (!jobIds.has(id)) this.seen.delete(id);
    for (const id of this.lastState.keys()) if (!jobIds.has(id)) this.lastState.delete(id);
  }

  private firstTime(jobId: string, id: string): boolean {
    let ids = this.seen.get(jobId);
    if (!ids) this.seen.set(jobId, (ids = new Set()));
    if (ids.has(id)) return false;
    ids.add(id);
    if (ids.size > MAX_IDS_PER_JOB) ids.delete(ids.values().next().value!);
    return true;
  }
}
