// The fault helpers tests use on the real cluster do what they say: a TaskManager crash and restart, a job
// whose checkpoints fail, cancel and resubmit.
import * as assert from 'node:assert/strict';
import { ensureServices, flinkStatus } from '../setup/env';
import {
  cancelJob, checkpointCounts, flinkGet, restartTaskManager, runningJobId, submitJob, submitJobWithFailingCheckpoints,
  waitFor, waitJobRunning,
} from '../setup/flink-control';

interface TaskManagers {
  taskmanagers: { id: string }[];
}

describe('env: Flink fault helpers', function () {
  this.timeout(600000);
  before(async () => {
    await ensureServices(['flink']);
  });

  it('restartTaskManager SIGKILLs a TaskManager, starts a new one, and the job recovers', async () => {
    const jobId = (await runningJobId())!;
    const before = new Set((await flinkGet<TaskManagers>('/taskmanagers')).taskmanagers.map((t) => t.id));
    const { killedPid, pid } = await restartTaskManager(0);
    assert.notEqual(pid, killedPid);
    assert.throws(() => process.kill(killedPid, 0), /ESRCH/);
    const now = (await flinkGet<TaskManagers>('/taskmanagers')).taskmanagers.map((t) => t.id);
    assert.ok(now.some((id) => !before.has(id)), 'a new TaskManager registered');
    // the dead one drops out once its heartbeat fails; then 2 TaskManagers again and the job RUNNING
    await waitFor(async () => (await flinkGet<TaskManagers>('/taskmanagers')).taskmanagers.length === 2, 120000, 'exactly 2 TaskManagers');
    await waitJobRunning(jobId);
    const ep = await flinkStatus();
    const port = ep.flinkReporters!.taskmanagers[0];
    const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.match(body, /^flink_taskmanager_/m);
  });

  it('submitJobWithFailingCheckpoints gives a RUNNING job whose checkpoints fail', async () => {
    const id = await submitJobWithFailingCheckpoints();
    try {
      const c = await waitFor(async () => {
        const counts = await checkpointCounts(id);
        return counts.failed >= 2 ? counts : null;
      }, 60000, 'two failed checkpoints');
      assert.equal(c.completed, 0);
      assert.equal((await flinkGet<{ state: string }>(`/jobs/${id}`)).state, 'RUNNING');
    } finally {
      assert.equal(await cancelJob(id), id);
    }
  });

  it('cancelJob cancels the running job and submitJob starts a new one', async () => {
    const old = (await runningJobId())!;
    assert.equal(await cancelJob(old), old);
    assert.equal((await flinkGet<{ state: string }>(`/jobs/${old}`)).state, 'CANCELED');
    const fresh = await submitJob();
    assert.notEqual(fresh, old);
    assert.equal(await runningJobId(), fresh);
  });
});
