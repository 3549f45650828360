// flink_logs against the real Flink cluster's log directory (scripts/env): a TaskManager is SIGKILLed and
// restarted; the JobManager's lines about it arrive parsed, its stack trace joined into one record, and the new
// TaskManager's log (rolled on start-up by log4j's OnStartupTriggeringPolicy) is followed through the rotation.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ensureServices, type Endpoints } from '../setup/env';
import { restartTaskManager, runningJobId, taskManagerRunning, waitJobRunning } from '../setup/flink-control';
import { flinkLogsSource } from '../../src/sources/flink-logs';
import type { LogRecord } from '../../src/model';
import { testContext, until } from './flink-logs-harness';

describe('flink_logs [needs: Flink via scripts/env up --only flink]', function () {
  this.timeout(300000);
  let env: Endpoints;

  before(async () => {
    env = await ensureServices(['flink']);
  });

  it('parses what the running cluster writes, joins its stack traces and follows the TaskManager log roll', async () => {
    const ctx = testContext();
    const cfg = flinkLogsSource.schema.parse({
      type: 'flink_logs', paths: [join(env.flinkLogDir, '*.log'), join(env.flinkLogDir, '*.out')], start_at: 'end',
      scan_interval: '500ms', poll_interval: '100ms',
    });
    const done = flinkLogsSource.create(cfg, ctx).run!();
    const logs = () => ctx.emitted as LogRecord[];
    // The job running now: earlier test files may have cancelled and resubmitted the one scripts/env started.
    const jobId = await runningJobId();
    assert.ok(jobId, 'a job is running on the cluster');
    try {
      await until(() => ctx.counters['log_files_open']! >= 2, 30000, 'the log files opened');
      // The TaskManager running the job: only its loss fails the job and makes the JobManager log a stack trace.
      const { index } = await taskManagerRunning(jobId);
      const before = Date.now();
      const { killedPid } = await restartTaskManager(index);
      assert.ok(killedPid > 0);

      const banner = await until(() => logs().find((r) => r.component === 'taskmanager' && r.message.startsWith(' Starting TaskManager')), 120000, 'the new TaskManager banner');
      assert.equal(banner.level, 'INFO');
      assert.equal(banner.logger, 'org.apache.flink.runtime.taskexecutor.TaskManagerRunner');
      assert.equal(banner.stream, 'log');
      // Zone-less log4j time read in the host's zone (Flink runs here): it must be "now", not hours off.
      assert.ok(Math.abs(banner.timestampMs - before) < 120000, `banner time ${new Date(banner.timestampMs).toISOString()} vs ${new Date(before).toISOString()}`);

      // The JobManager notices the lost TaskManager (heartbeat / connection) and logs the failure with a trace.
      const failure = await until(() => logs().find((r) => r.component === 'jobmanager' && r.exception !== undefined && r.timestampMs >= before - 1000), 120000, 'a JobManager record with a joined stack trace');
      assert.match(failure.logger ?? '', /^org\.apache\.flink\./);
      assert.ok(['INFO', 'WARN', 'ERROR'].includes(failure.level));
      assert.match(failure.exception!.type, /^[\w$.]+$/);
      assert.ok(failure.exception!.stack.split('\n').length > 3, 'the whole trace is in one record');
      assert.ok(!/\n\tat /.test(failure.message), 'stack frames are not left in the message');
      assert.ok(logs().every((r) => !r.message.startsWith('\tat ')), 'no stack frame became a record of its own');
      assert.equal(ctx.counters['log_unparsed_lines_total'] ?? 0, 0);
      const restarting = await until(() => logs().find((r) => r.attributes['job_id'] === jobId && r.attributes['to_state'] !== undefined), 120000, 'a job/task state change of the running job');
      assert.equal(restarting.component, 'jobmanager');
    } finally {
      ctx.controller.abort();
      await done;
      await waitJobRunning(jobId).catch(() => undefined);
    }
  });
});
