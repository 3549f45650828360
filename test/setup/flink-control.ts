// Helpers for tests that disturb the real Flink cluster started by scripts/env. Process control goes through
// `scripts/env flink …` (it owns the pid files and the launcher); reads go straight to the REST API.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ensureServices, runEnv } from './env';

const parse = <T>(out: string): T => JSON.parse(out.trim().split('\n').pop() ?? '{}') as T;

async function restBase(): Promise<string> {
  return (await ensureServices(['flink'])).flinkRest;
}

/** GET a Flink REST path (e.g. '/overview') and parse the JSON; throws with the body on a non-2xx answer. */
export async function flinkGet<T = unknown>(p: string): Promise<T> {
  const res = await fetch(`${await restBase()}${p}`, { signal: AbortSignal.timeout(10000) });
  const text = await res.text();
  if (!res.ok) throw new Error(`GET ${p} -> HTTP ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

/**
 * Polls `predicate` until it returns a truthy value (which is returned) or `deadlineMs` passes; errors thrown by
 * the predicate count as "not yet". The failure message carries the last value/error to say what was seen.
 */
export async function waitFor<T>(predicate: () => Promise<T> | T, deadlineMs: number, what = 'condition', intervalMs = 250): Promise<NonNullable<T>> {
  const end = Date.now() + deadlineMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await predicate();
      if (v) return v as NonNullable<T>;
      last = v;
    } catch (e) {
      last = e instanceof Error ? e.message : e;
    }
    if (Date.now() > end) throw new Error(`waitFor: ${what} not reached within ${deadlineMs} ms (last: ${String(last)})`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Id of the newest RUNNING job, or null. */
export async function runningJobId(): Promise<string | null> {
  const o = await flinkGet<{ jobs: { jid: string; state: string; 'start-time': number }[] }>('/jobs/overview');
  const running = o.jobs.filter((j) => j.state === 'RUNNING').sort((a, b) => b['start-time'] - a['start-time']);
  return running[0]?.jid ?? null;
}

export interface SubmitOptions {
  /** execution.checkpointing.timeout for this job: e.g. 10 makes every checkpoint expire (seen on 1.20.5) */
  checkpointTimeoutMs?: number;
  /** execution.checkpointing.tolerable-failed-checkpoints: with a high value the job keeps RUNNING while checkpoints fail */
  tolerableFailedCheckpoints?: number;
  /** any other job configuration (REST run body "flinkConfiguration") */
  conf?: Record<string, string>;
}

/** Uploads and runs TopSpeedWindowing; resolves with the job id once all its vertices are RUNNING. */
export async function submitJob(opts: SubmitOptions = {}): Promise<string> {
  const args = ['flink', 'submit-job'];
  if (opts.checkpointTimeoutMs !== undefined) args.push('--checkpoint-timeout', String(opts.checkpointTimeoutMs));
  if (opts.tolerableFailedCheckpoints !== undefined) args.push('--tolerable-failures', String(opts.tolerableFailedCheckpoints));
  for (const [k, v] of Object.entries(opts.conf ?? {})) args.push('--conf', `${k}=${v}`);
  await restBase();
  return parse<{ jobId: string }>(await runEnv(args)).jobId;
}

/**
 * A job whose checkpoints all expire (timeout 10 ms) while the job itself stays RUNNING (tolerable failures
 * high): `numberOfFailedCheckpoints` climbs every 5 s. Cancel it with cancelJob(id) when done.
 */
export function submitJobWithFailingCheckpoints(): Promise<string> {
  return submitJob({ checkpointTimeoutMs: 10, tolerableFailedCheckpoints: 1000000 });
}

/** Cancels `jobId` (default: the newest RUNNING job) and waits for CANCELED; resolves with the id or null. */
export async function cancelJob(jobId?: string): Promise<string | null> {
  await restBase();
  return parse<{ cancelled: string | null }>(await runEnv(['flink', 'cancel-job', ...(jobId ? [jobId] : [])])).cancelled;
}

/**
 * SIGKILLs TaskManager `index` (0 or 1) like a crash and starts it again; resolves once the JobManager lists the
 * new TaskManager. The old one stays in /taskmanagers until its heartbeat fails (~15 s, seen on 1.20.5).
 */
export async function restartTaskManager(index: number): Promise<{ killedPid: number; pid: number }> {
  await restBase();
  return parse<{ killedPid: number; pid: number }>(await runEnv(['flink', 'restart-tm', String(index)]));
}

/**
 * The scripts/env index (and Flink id) of the TaskManager that runs the job's first vertex: killing that one fails the job (a
 * restart, exceptions), killing the other may not. Earlier tests move the job around, so ask instead of assuming.
 */
export async function taskManagerRunning(jobId: string): Promise<{ index: number; tmId: string }> {
  const env = await ensureServices(['flink']);
  const vertices = (await flinkGet<{ vertices: Array<{ id: string }> }>(`/jobs/${jobId}`)).vertices;
  const placed = await flinkGet<{ subtasks: Array<{ 'taskmanager-id': string }> }>(`/jobs/${jobId}/vertices/${vertices[0]!.id}`);
  const tmId = placed.subtasks[0]!['taskmanager-id'];
  for (const i of [0, 1]) {
    const file = path.join(env.flinkLogDir, `flink-${env.flinkUser}-taskexecutor-${i}-${env.flinkHost}.log`);
    if (readFileSync(file, 'utf8').includes(`ResourceID: ${tmId}`)) return { index: i, tmId };
  }
  throw new Error(`no TaskManager log of scripts/env names ResourceID ${tmId}`);
}

export interface CheckpointCounts {
  restored: number;
  total: number;
  in_progress: number;
  completed: number;
  failed: number;
}

export async function checkpointCounts(jobId: string): Promise<CheckpointCounts> {
  return (await flinkGet<{ counts: CheckpointCounts }>(`/jobs/${jobId}/checkpoints`)).counts;
}

/** Waits until the job is RUNNING with every vertex RUNNING (e.g. after a TaskManager restart). */
export async function waitJobRunning(jobId: string, deadlineMs = 120000): Promise<void> {
  await waitFor(async () => {
    const j = await flinkGet<{ state: string; vertices: { status: string }[] }>(`/jobs/${jobId}`);
    return j.state === 'RUNNING' && j.vertices.every((v) => v.status === 'RUNNING');
  }, deadlineMs, `job ${jobId} RUNNING`);
}
