// The flink_rest source against the REAL Flink cluster of scripts/env (JobManager + 2 TaskManagers + a job).
// Figures are compared with direct REST calls made around the same collect; a SIGKILLed TaskManager must give
// exactly one restart increment, its exception and the state changes, each once across several collects.
import assert from 'node:assert/strict';
import type { LogRecord, TelemetryRecord } from '../../src/model';
import { flinkRestSource } from '../../src/sources/flink-rest';
import { FlinkRestSource } from '../../src/sources/flink-rest/source';
import { ensureServices, type Endpoints } from '../setup/env';
import { cancelJob, flinkGet, restartTaskManager, submitJob, taskManagerRunning, waitFor, waitJobRunning } from '../setup/flink-control';
import { events, one, recordingContext, requestedPaths, samples } from './flink-rest-helpers';

const parse = (input: Record<string, unknown>) => flinkRestSource.schema.parse({ type: 'flink_rest', ...input });
const never = new AbortController().signal;

interface Overview { taskmanagers: number; 'slots-total': number; 'slots-available': number }

/**
 * Reads Flink directly before and after one collect and retries until nothing changed in between, so "equal to
 * what Flink says at the same moment" is a fair comparison on a cluster other tests also use.
 */
async function collectBetweenStableReads<T>(source: FlinkRestSource, read: () => Promise<T>, what: string): Promise<{ out: TelemetryRecord[]; truth: T }> {
  return waitFor(async () => {
    const before = await read();
    const out = await source.collect(never);
    const after = await read();
    return JSON.stringify(before) === JSON.stringify(after) ? { out, truth: after } : undefined;
  }, 60_000, `${what} stable around one collect`, 500);
}

interface JobDetails { state: string; timestamps: Record<string, number>; vertices: Array<{ status: string }> }
interface JobsOverview { jobs: Array<{ jid: string; state: string; tasks: Record<string, number> }> }

/** numRestarts of one job from the JobManager's metric store (the figure the source reports). */
async function flinkRestarts(jobId: string): Promise<number> {
  const m = await flinkGet<Array<{ id: string; value: string }>>(`/jobs/${jobId}/metrics?get=numRestarts`);
  if (!m[0]) throw new Error(`no numRestarts for job ${jobId} in the metric store yet`);
  return Number(m[0].value);
}

/** The event ids the source should give the job's exceptions Flink recorded at or after `since`, sorted. */
async function flinkExceptionsSince(jobId: string, since: number): Promise<string[]> {
  const r = await flinkGet<{ exceptionHistory: { entries: Array<{ timestamp: number; exceptionName: string }> } }>(`/jobs/${jobId}/exceptions?maxExceptions=16`);
  return r.exceptionHistory.entries.filter((e) => e.timestamp >= since).map((e) => `rest:exception:${jobId}:${e.timestamp}:${e.exceptionName}`).sort();
}

/**
 * Waits until the cluster the test files share is quiet: only the TaskManagers scripts/env runs are registered
 * (one an earlier file killed stays listed until its heartbeat fails) and every job runs all its tasks (another
 * file's job may still be in its restart back-off, which grows with each kill, or waiting for a slot). Killing a
 * TaskManager then restarts only the jobs it hosted, and the replacement brings as many slots as the killed one
 * held, so every one of them, ours included, gets one back however many jobs other files left running.
 */
async function waitClusterSettled(env: Endpoints): Promise<void> {
  const taskManagers = env.flinkReporters?.taskmanagers.length ?? 2;
  await waitFor(async () => {
    const [tms, overview] = await Promise.all([flinkGet<{ taskmanagers: unknown[] }>('/taskmanagers'), flinkGet<JobsOverview>('/jobs/overview')]);
    const busy = overview.jobs.filter((j) => !['FINISHED', 'CANCELED', 'FAILED'].includes(j.state)
      && (j.state !== 'RUNNING' || (j.tasks['running'] ?? 0) + (j.tasks['finished'] ?? 0) !== j.tasks['total']));
    if (tms.taskmanagers.length === taskManagers && busy.length === 0) return true;
    throw new Error(`${tms.taskmanagers.length} TaskManagers registered; jobs not fully RUNNING: ${busy.map((j) => `${j.jid} ${j.state}`).join(', ') || 'none'}`);
  }, 120_000, `cluster settled (${taskManagers} TaskManagers, every job running all its tasks)`, 1_000);
}

describe('flink_rest source [needs: Flink at env.flinkRest (http://127.0.0.1:8081); start: scripts/env up --only flink]', function () {
  this.timeout(300_000);
  let env: Endpoints;
  let jobId: string;
  let source: FlinkRestSource;
  const ctx = recordingContext('int-node');

  before(async () => {
    env = await ensureServices(['flink']);
    // Our own job, so restarts and events belong to this test even while other tests use the cluster.
    jobId = await submitJob();
    await waitJobRunning(jobId);
    source = new FlinkRestSource(parse({ url: env.flinkRest, labels: { suite: 'int' } }), ctx);
  });

  after(async () => {
    await source?.close();
    if (jobId) await cancelJob(jobId).catch(() => undefined);
    // Leave the shared cluster quiet for the next file, whichever runs next: a job that shared the killed
    // TaskManager may still be in its restart back-off, and files that pick "the running job" would miss it.
    if (env) await waitClusterSettled(env).catch((e: Error) => process.stderr.write(`[flink_rest int] cluster not settled after the suite: ${e.message}\n`));
  });

  it('reports TaskManagers and slots equal to /overview at the same moment, on a loopback URL as the leader', async () => {
    const { out, truth } = await collectBetweenStableReads(source, () => flinkGet<Overview>('/overview'), '/overview');
    assert.equal(one(out, 'flink_rest_up').value, 1);
    assert.equal(one(out, 'flink_jobmanager_numRegisteredTaskManagers').value, truth.taskmanagers);
    assert.equal(one(out, 'flink_jobmanager_taskSlotsTotal').value, truth['slots-total']);
    assert.equal(one(out, 'flink_jobmanager_taskSlotsAvailable').value, truth['slots-available']);
    assert.equal(ctx.gauges.get('flink_rest_cluster_emitter'), 1);
    assert.deepEqual(one(out, 'flink_jobmanager_taskSlotsTotal').labels, { dc: 'lab', suite: 'int', cluster: 'test-cluster', node: 'int-node' });
  });

  it('reports the job\'s state, restarts and last checkpoint id as Flink has them (within one fetch interval)', async () => {
    const read = async () => {
      const [m, cp] = await Promise.all([
        flinkGet<Array<{ id: string; value: string }>>(`/jobs/${jobId}/metrics?get=numRestarts`),
        flinkGet<{ latest: { completed: { id: number } | null } }>(`/jobs/${jobId}/checkpoints`),
      ]);
      return { restarts: m[0] ? Number(m[0].value) : undefined, checkpoint: cp.latest.completed?.id };
    };
    // Checkpoints complete every 5 s: wait for one and for the metric store to hold numRestarts.
    await waitFor(async () => { const r = await read(); return r.restarts !== undefined && r.checkpoint !== undefined; }, 60_000, 'first checkpoint and numRestarts');
    // …and for the metric store to list each vertex's task metrics (it fetches from the TaskManagers every 10 s).
    const vertexIds = (await flinkGet<{ vertices: Array<{ id: string }> }>(`/jobs/${jobId}`)).vertices.map((v) => v.id);
    await waitFor(async () => {
      const lists = await Promise.all(vertexIds.map((v) => flinkGet<Array<{ id: string }>>(`/jobs/${jobId}/vertices/${v}/subtasks/metrics`)));
      return lists.every((l) => l.some((m) => m.id === 'busyTimeMsPerSecond'));
    }, 60_000, 'vertex metrics in the metric store');
    const freshCtx = recordingContext();
    const fresh = new FlinkRestSource(parse({ url: env.flinkRest }), freshCtx);
    try {
      const before = await read();
      const firstAt = Date.now();
      const out = await fresh.collect(never);
      const after = await read();
      const labels = { job_id: jobId };
      assert.equal(one(out, 'flink_rest_job_state', labels).labels['state'], 'RUNNING');
      assert.equal(one(out, 'flink_rest_job_state', labels).value, 1);
      const restarts = one(out, 'flink_jobmanager_job_numRestarts', labels).value;
      assert.ok(restarts >= before.restarts! && restarts <= after.restarts!, `numRestarts ${restarts} outside [${before.restarts}, ${after.restarts}]`);
      const lastId = one(out, 'flink_rest_job_last_checkpoint_id', labels).value;
      assert.ok(lastId >= before.checkpoint! && lastId <= after.checkpoint!, `last checkpoint ${lastId} outside [${before.checkpoint}, ${after.checkpoint}]`);
      assert.ok(one(out, 'flink_rest_job_last_checkpoint_age_seconds', labels).value < 30);
      assert.ok(one(out, 'flink_jobmanager_job_uptime', labels).value > 0);
      // Per-vertex figures carry the reporter's task labels; RUNNING jobs only.
      const busy = samples(out).filter((s) => s.name === 'flink_taskmanager_job_task_busyTimeMsPerSecond' && s.labels['job_id'] === jobId);
      assert.deepEqual(busy.map((s) => s.labels['task_name']).sort(), ['GlobalWindows____Sink:_Print_to_Std__Out', 'Source:_Car_data_generator_source____Timestamps_Watermarks']);
      assert.equal(samples(out).filter((s) => s.name === 'flink_rest_vertex_watermark_lag_seconds' && s.labels['job_id'] === jobId).length, 2);

      // The metric store refreshes every 10 s: a round sooner re-uses the values instead of asking again…
      const metricCalls = (from: number) => requestedPaths(freshCtx, from).filter((p) => p.includes('/metrics'));
      assert.ok(metricCalls(0).some((p) => p.startsWith(`/jobs/${jobId}/vertices/`) && p.includes('/subtasks/metrics?get=')));
      let mark = freshCtx.logs.length;
      const again = await fresh.collect(never);
      if (Date.now() - firstAt < 9_000) assert.deepEqual(metricCalls(mark), []);
      assert.equal(one(again, 'flink_taskmanager_job_task_busyTimeMsPerSecond', { job_id: jobId, task_id: vertexIds[0]! }).labels['task_id'], vertexIds[0]);
      // …and asks again once metrics_min_interval has passed.
      const refetchedAt = await waitFor(async () => {
        mark = freshCtx.logs.length;
        await fresh.collect(never);
        return metricCalls(mark).some((p) => p.includes(`/jobs/${jobId}/vertices/`)) ? Date.now() : 0;
      }, 30_000, 'vertex metrics asked again', 1_000);
      assert.ok(refetchedAt - firstAt >= 9_500, `asked again after ${refetchedAt - firstAt} ms`);
    } finally {
      await fresh.close();
    }
  });

  it('with emit_cluster_metrics: never reports only its own reachability', async () => {
    const quiet = new FlinkRestSource(parse({ url: env.flinkRest, emit_cluster_metrics: 'never' }), recordingContext());
    try {
      const out = await quiet.collect(never);
      assert.deepEqual(out.map((r) => (r.kind === 'sample' ? r.name : r.id)), ['flink_rest_up']);
    } finally {
      await quiet.close();
    }
  });

  it('turns a SIGKILLed TaskManager into one restart, its exception and RUNNING→RESTARTING→RUNNING, each once', async function () {
    // Bounded by the waits below, each with its own deadline and a message saying what it saw; this is the backstop.
    this.timeout(600_000);
    const seen: LogRecord[] = [];
    const restarts: number[] = [];
    const round = async () => {
      const out = await source.collect(never);
      seen.push(...events(out).filter((e) => e.attributes['job_id'] === jobId));
      const r = samples(out).find((s) => s.name === 'flink_jobmanager_job_numRestarts' && s.labels['job_id'] === jobId);
      if (r) restarts.push(r.value);
      return out;
    };
    let killedAt = Infinity;
    const after = (e: LogRecord) => e.timestampMs >= killedAt;
    const changes = () => seen.filter((e) => after(e) && e.attributes['to_state']).map((e) => `${e.attributes['from_state']}→${e.attributes['to_state']}`);

    await waitClusterSettled(env);
    // The baseline is what Flink says now, and the agent must already say the same: the comparison after the
    // kill is then against a figure both agreed on, not a cached one from before some earlier restart.
    const before = await flinkRestarts(jobId);
    await waitFor(async () => (await round(), restarts[restarts.length - 1] === before), 60_000, `agent's numRestarts of the job equal to Flink's ${before}`);
    const { index, tmId } = await taskManagerRunning(jobId);
    killedAt = Date.now();
    await restartTaskManager(index);

    // Flink's own view first, of this job only (other jobs on the killed TaskManager restart too): it restarted
    // after the kill and every vertex runs again. A SIGKILLed TaskManager is noticed after ~10-20 s.
    await waitFor(async () => {
      const j = await flinkGet<JobDetails>(`/jobs/${jobId}`);
      const restartedAt = j.timestamps['RESTARTING'] ?? 0;
      if (restartedAt >= killedAt && j.state === 'RUNNING' && j.vertices.every((v) => v.status === 'RUNNING')) return true;
      throw new Error(`job ${j.state}, vertices ${j.vertices.map((v) => v.status).join('/')}, last RESTARTING ${restartedAt - killedAt} ms after the kill`);
    }, 150_000, `job ${jobId} restarted after the kill and RUNNING again`, 1_000);
    // Then the agent's: the metric store refreshes numRestarts every 10 s and the source re-asks every 10 s.
    // ">" rather than "== before + 1", so a second restart fails the assertions below with the figures instead of
    // running into this deadline.
    await waitFor(async () => {
      await round();
      const exceptions = seen.filter((e) => after(e) && e.exception).length;
      if (restarts[restarts.length - 1]! > before && exceptions > 0 && changes().includes('RESTARTING→RUNNING')) return true;
      throw new Error(`numRestarts ${restarts.join(',')} (before ${before}), ${exceptions} exceptions since the kill, state changes [${changes().join(', ')}]`);
    }, 90_000, 'restart, exception and RUNNING again reported by the agent', 2_000);
    for (let i = 0; i < 3; i++) await round();

    // Flink restarted the job exactly once (precondition of "once"; a disturbance from outside shows here)…
    const history = await flinkExceptionsSince(jobId, killedAt);
    assert.equal(await flinkRestarts(jobId), before + 1, `Flink restarted job ${jobId} more than once; exceptions since the kill: ${history.join(' ')}`);
    // …and the agent said so: the figure only ever moved from before to before + 1…
    assert.ok(restarts.every((v) => v === before || v === before + 1), `numRestarts went ${restarts.join(',')}`);
    assert.equal(restarts[restarts.length - 1], before + 1);
    // …every event once, the exceptions exactly those Flink lists for this job since the kill, one of them naming
    // the killed TaskManager…
    const ids = seen.map((e) => e.id);
    assert.equal(new Set(ids).size, ids.length, `an event was emitted twice: ${ids.join(' ')}`);
    const exceptions = seen.filter((e) => after(e) && e.exception);
    assert.deepEqual(exceptions.map((e) => e.id).sort(), history);
    assert.ok(exceptions.some((e) => e.message.includes(tmId) && e.attributes['taskmanager_id'] === tmId), exceptions.map((e) => e.message).join('\n'));
    for (const e of exceptions) assert.match(e.id, new RegExp(`^rest:exception:${jobId}:\\d+:[\\w.$]+$`));
    // …and the two state changes, with the ids Flink's own timestamps give.
    assert.deepEqual(changes(), ['RUNNING→RESTARTING', 'RESTARTING→RUNNING']);
    const flinkTimestamps = (await flinkGet<JobDetails>(`/jobs/${jobId}`)).timestamps;
    assert.ok(seen.some((e) => e.id === `rest:state:${jobId}:RESTARTING:${flinkTimestamps['RESTARTING']}`));
    assert.ok(seen.some((e) => e.id === `rest:state:${jobId}:RUNNING:${flinkTimestamps['RUNNING']}`));
  });
});
