// The Flink cluster scripts/env starts is real: 1 JobManager + 2 TaskManagers, TopSpeedWindowing RUNNING,
// checkpoints completing, every reporter serving flink_ metrics, and log files in flink-dist's layout.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureServices, flinkStatus, type Endpoints } from '../setup/env';
import { checkpointCounts, flinkGet, waitFor } from '../setup/flink-control';

// flink-dist's log4j pattern: %d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %x - %m%n (empty NDC prints "[]")
const LINE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3} (TRACE|DEBUG|INFO |WARN |ERROR) \S+\s+\[\] - /;

describe('env: Flink cluster', function () {
  this.timeout(600000);
  let ep: Endpoints;
  before(async () => {
    await ensureServices(['flink']);
    ep = await flinkStatus(); // other test files may have cancelled/resubmitted the job since ensureServices
  });

  it('runs the wanted version with 2 TaskManagers and the job RUNNING', async () => {
    const o = await flinkGet<{ taskmanagers: number; 'flink-version': string; 'jobs-running': number }>('/overview');
    assert.equal(o['flink-version'], ep.flinkVersion);
    assert.ok(o.taskmanagers >= 2, `taskmanagers=${o.taskmanagers}`);
    assert.ok(ep.flinkJobId, 'a job id');
    const j = await flinkGet<{ name: string; state: string }>(`/jobs/${ep.flinkJobId}`);
    assert.equal(j.name, 'CarTopSpeedWindowingExample');
    assert.equal(j.state, 'RUNNING');
  });

  it('completes checkpoints into the checkpoint folder', async () => {
    const before = (await checkpointCounts(ep.flinkJobId!)).completed;
    await waitFor(async () => (await checkpointCounts(ep.flinkJobId!)).completed > before, 60000, 'a new completed checkpoint');
    const latest = await flinkGet<{ latest: { completed: { external_path: string } } }>(`/jobs/${ep.flinkJobId}/checkpoints`);
    assert.ok(latest.latest.completed.external_path.includes(ep.flinkCheckpointDir), latest.latest.completed.external_path);
  });

  it('every JobManager/TaskManager reporter serves flink_ metrics', async () => {
    const r = ep.flinkReporters!;
    assert.ok(r.jobmanager, 'JM reporter port');
    assert.equal(r.taskmanagers.length, 2);
    const [lo, hi] = ep.flinkReporterPorts;
    for (const [port, prefix] of [[r.jobmanager, 'flink_jobmanager_'], ...r.taskmanagers.map((p) => [p, 'flink_taskmanager_'] as const)] as const) {
      assert.ok(port && port >= lo && port <= hi, `port ${port} in ${lo}-${hi}`);
      const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      assert.ok(body.split('\n').some((l) => l.startsWith(prefix)), `${prefix} on ${port}`);
    }
    // the job's task metrics exist on one of the TaskManagers
    const bodies = await Promise.all(r.taskmanagers.map(async (p) => (await fetch(`http://127.0.0.1:${p}/metrics`)).text()));
    assert.ok(bodies.some((b) => b.includes(`job_id="${ep.flinkJobId}"`)), 'task metrics of the running job');
  });

  it('writes log and .out files named and formatted like flink-dist, and they grow', async () => {
    const base = (role: string, i: number) => path.join(ep.flinkLogDir, `flink-${ep.flinkUser}-${role}-${i}-${ep.flinkHost}`);
    const files = [base('standalonesession', 0), base('taskexecutor', 0), base('taskexecutor', 1)];
    for (const f of files) {
      assert.ok(fs.existsSync(`${f}.out`), `${f}.out`);
      const first = fs.readFileSync(`${f}.log`, 'utf8').split('\n')[0]!;
      assert.match(first, LINE);
    }
    const jmLog = `${files[0]}.log`;
    const size = fs.statSync(jmLog).size;
    // checkpoints every 5 s log "Triggering checkpoint"/"Completed checkpoint" on the JobManager
    await waitFor(() => fs.statSync(jmLog).size > size, 30000, 'JobManager log growth');
    assert.match(fs.readFileSync(jmLog, 'utf8'), /Completed checkpoint \d+ for job/);
  });
});
