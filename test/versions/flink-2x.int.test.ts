// The agent supports Flink 1.20 and 2.x. Every other integration test runs on the 1.20 cluster; this file (last in
// mocha's order) switches scripts/env to Flink 2.3.0, collects one round from the three Flink sources the way
// `flink-telemetry-agent once` does, checks the figures against what Flink 2.3.0 itself says, and switches back.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { collectOnce } from '../../src/agent';
import { parseConfigText } from '../../src/config';
import type { LogRecord, Sample, TelemetryRecord } from '../../src/model';
import { flinkStatus, runEnv, type Endpoints } from '../setup/env';
import { flinkGet, waitFor } from '../setup/flink-control';

const FLINK_2 = '2.3.0';

describe(`Flink ${FLINK_2} [needs: Flink ${FLINK_2} via FLINK_VERSION=${FLINK_2} scripts/env up --only flink]`, function () {
  this.timeout(10 * 60 * 1000);
  let env: Endpoints;
  const previous = process.env.FLINK_VERSION;

  before(async () => {
    process.env.FLINK_VERSION = FLINK_2;
    await runEnv(['up', '--only', 'flink']);
    env = await flinkStatus();
  });

  after(async () => {
    if (previous === undefined) delete process.env.FLINK_VERSION;
    else process.env.FLINK_VERSION = previous;
    await runEnv(['up', '--only', 'flink']); // back to the version the rest of the suite runs on
  });

  const round = async (): Promise<Map<string, TelemetryRecord[]>> => {
    const [lo, hi] = env.flinkReporterPorts;
    const { config } = parseConfigText(
      `agent: { cluster: f2, node: n1, data_dir: ${mkdtempSync(join(tmpdir(), 'fta-f2-'))} }
sources:
  rest: { type: flink_rest, url: "${env.flinkRest}" }
  reporters: { type: flink_prometheus, host: 127.0.0.1, ports: "${lo}-${hi}" }
  logs: { type: flink_logs, paths: ["${env.flinkLogDir}/*.log"] }
sinks:
  out: { type: stdout, inputs: [rest, reporters, logs] }
`,
      'flink2.yaml',
    );
    const results = await collectOnce(config, { signal: AbortSignal.timeout(60_000), logger: pino({ level: 'silent' }) });
    for (const r of results) assert.equal(r.error, undefined, `${r.source}: ${r.error}`);
    return new Map(results.map((r) => [r.source, r.records]));
  };
  const samples = (records: TelemetryRecord[] | undefined, name: string) => (records ?? []).filter((r): r is Sample => r.kind === 'sample' && r.name === name);

  it('reads cluster, job and checkpoint figures from the 2.x REST API, equal to what Flink says', async () => {
    const overview = await flinkGet<{ taskmanagers: number; 'slots-total': number; 'flink-version': string }>('/overview');
    assert.equal(overview['flink-version'], FLINK_2);
    let rest: TelemetryRecord[] | undefined;
    await waitFor(async () => {
      rest = (await round()).get('rest');
      return samples(rest, 'flink_jobmanager_job_numberOfCompletedCheckpoints').some((s) => s.value > 0);
    }, 120_000, 'a completed checkpoint reported by flink_rest');
    assert.equal(samples(rest, 'flink_rest_up')[0]?.value, 1);
    assert.equal(samples(rest, 'flink_jobmanager_numRegisteredTaskManagers')[0]?.value, overview.taskmanagers);
    assert.equal(samples(rest, 'flink_jobmanager_taskSlotsTotal')[0]?.value, overview['slots-total']);
    const state = samples(rest, 'flink_rest_job_state').find((s) => s.labels['job_id'] === env.flinkJobId && !s.stale);
    assert.equal(state?.labels['state'], 'RUNNING', 'the running job and its state');
  });

  it("scrapes every 2.x process's Prometheus reporter, TaskManagers told apart by tm_id", async () => {
    let reporters: TelemetryRecord[] | undefined;
    await waitFor(async () => {
      reporters = (await round()).get('reporters');
      return samples(reporters, 'up').filter((s) => s.value === 1).length >= 2 && (reporters ?? []).some((r) => r.kind === 'sample' && r.name.startsWith('flink_taskmanager_job_task_'));
    }, 120_000, 'the JobManager and TaskManager reporters with job task metrics');
    const tmIds = new Set(samples(reporters, 'flink_taskmanager_Status_JVM_CPU_Load').map((s) => s.labels['tm_id']));
    assert.equal(tmIds.size, samples(reporters, 'up').filter((s) => s.value === 1).length - 1, 'one tm_id per TaskManager reporter');
    assert.ok((reporters ?? []).every((r) => r.kind !== 'sample' || r.labels['task_attempt_id'] === undefined), 'churning labels dropped');
  });

  it("parses the 2.x JobManager and TaskManager logs in Flink's layout", async () => {
    const logs = ((await round()).get('logs') ?? []) as LogRecord[];
    assert.ok(logs.some((r) => r.component === 'jobmanager') && logs.some((r) => r.component === 'taskmanager'), 'both components');
    for (const r of logs) {
      assert.match(r.logger ?? '', /^[\w$.]+$/, `a logger on every record: ${r.message.slice(0, 80)}`);
      assert.ok(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'].includes(r.level));
    }
  });
});
