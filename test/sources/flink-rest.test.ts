// Unit tests of the flink_rest source against real JSON captured from Flink 1.20.5 and 2.3.0
// (test/fixtures/flink-rest/). The live cluster is exercised in flink-rest.int.test.ts.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { flinkRestSource } from '../../src/sources/flink-rest';
import { EventTracker, exceptionRecords, stateLevel } from '../../src/sources/flink-rest/events';
import { isLocalHost, jobManagerHost, type LocalIdentity } from '../../src/sources/flink-rest/leader';
import { mapJobCounts, mapOverview, mapTaskManagers } from '../../src/sources/flink-rest/map-cluster';
import { mapCheckpoints, mapJobDetails, mapJobMetrics, mapJobState } from '../../src/sources/flink-rest/map-job';
import { backPressureLevel, mapVertexMetrics, selectVertexMetricIds, vertexLabels } from '../../src/sources/flink-rest/map-vertex';
import type * as R from '../../src/sources/flink-rest/responses';
import { jobLabels, SampleBuilder, sanitizeLabelValue } from '../../src/sources/flink-rest/samples';
import { FlinkRestSource, formatDuration } from '../../src/sources/flink-rest/source';
import { parseStackTrace } from '../../src/sources/shared/java-exception';
import { TimedCache, nameListMaxAge } from '../../src/sources/flink-rest/vertex-cache';
import { fixture, one, recordingContext, samples } from './flink-rest-helpers';

const BASE = { cluster: 'c1', node: 'n1' };
const T0 = 1_795_565_910_000;
const builder = () => new SampleBuilder(BASE, T0);
const parse = (input: Record<string, unknown>) => flinkRestSource.schema.parse({ type: 'flink_rest', ...input });

describe('flink_rest source: options', () => {
  it('fills every default: localhost:8081, 15 s interval, 10 s metric floor, 4 requests, auto leader rule', () => {
    const cfg = parse({});
    assert.equal(cfg.url, 'http://localhost:8081');
    assert.equal(cfg.interval, 15_000);
    assert.equal(cfg.metrics_min_interval, 10_000);
    assert.equal(cfg.max_concurrency, 4);
    assert.equal(cfg.timeout, 5_000);
    assert.equal(cfg.emit_cluster_metrics, 'auto');
    assert.equal(cfg.events, true);
    assert.equal(cfg.vertex_metrics, true);
  });

  it('rejects a misspelt option and a bad duration, naming the field', () => {
    assert.throws(() => parse({ metric_min_interval: '10s' }), /metric_min_interval/);
    const r = flinkRestSource.schema.safeParse({ type: 'flink_rest', timeout: 'soon' });
    assert.equal(r.success, false);
    assert.deepEqual(r.error?.issues[0]?.path, ['timeout']);
  });

  it('describes every option (the schema is the documentation)', () => {
    const shape = flinkRestSource.schema.shape as Record<string, { description?: string }>;
    const undocumented = Object.entries(shape).filter(([, f]) => !f.description).map(([k]) => k);
    assert.deepEqual(undocumented, []);
  });
});

describe('flink_rest source: reporter vocabulary', () => {
  it('sanitises label values like the Prometheus reporter ([^a-zA-Z0-9:_] → _)', () => {
    assert.equal(sanitizeLabelValue('Source: Car data generator source -> Timestamps/Watermarks'), 'Source:_Car_data_generator_source____Timestamps_Watermarks');
    assert.equal(sanitizeLabelValue('127.0.0.1:34365-ed41ec'), '127_0_0_1:34365_ed41ec');
  });

  it('gives vertices exactly the task_name/task_id/job_name label values the reporter uses for the same job', () => {
    const job = fixture<R.JobDetailsResponse>('job-1.20.5.json');
    const mine = job.vertices!.map((v) => vertexLabels(jobLabels(job.jid, job.name), v));
    const reporter = readFileSync(path.resolve(__dirname, '../../../test/fixtures/flink-rest/reporter-task-series-1.20.5.txt'), 'utf8');
    const pairs = new Set([...reporter.matchAll(/task_id="(\w+)".*?task_name="([^"]+)"/g)].map((m) => `${m[1]}=${m[2]}`));
    assert.deepEqual(new Set(mine.map((l) => `${l['task_id']}=${l['task_name']}`)), pairs);
    assert.match(reporter, new RegExp(`job_name="${mine[0]!['job_name']}"`));
  });
});

describe('flink_rest source: cluster figures', () => {
  for (const version of ['1.20.5', '2.3.0']) {
    it(`maps /overview of Flink ${version} to the reporter's JobManager gauges`, () => {
      const o = fixture<R.OverviewResponse>(`overview-${version}.json`);
      const b = builder();
      mapOverview(o, b);
      assert.equal(one(b.samples, 'flink_jobmanager_numRegisteredTaskManagers').value, 1);
      assert.equal(one(b.samples, 'flink_jobmanager_taskSlotsTotal').value, 2);
      assert.equal(one(b.samples, 'flink_jobmanager_taskSlotsAvailable').value, 1);
      assert.equal(one(b.samples, 'flink_jobmanager_numRunningJobs').value, 1);
      assert.equal(one(b.samples, 'flink_rest_build_info').labels['flink_version'], version);
      assert.deepEqual(one(b.samples, 'flink_jobmanager_taskSlotsTotal').labels, BASE);
      assert.equal(b.samples.every((s) => s.timestampMs === T0), true);
    });
  }

  it('maps /taskmanagers to per-TM slots and heartbeat age, tm_id sanitised like the reporter', () => {
    const b = builder();
    mapTaskManagers(fixture<R.TaskManagersResponse>('taskmanagers-1.20.5.json'), 1_795_565_891_600, b);
    assert.equal(one(b.samples, 'flink_rest_taskmanager_slots_total', { tm_id: '127_0_0_1:42301_9c6114' }).value, 2);
    assert.equal(one(b.samples, 'flink_rest_taskmanager_slots_free', { tm_id: '127_0_0_1:36491_8bc7dc' }).value, 1);
    assert.equal(one(b.samples, 'flink_rest_taskmanager_heartbeat_age_seconds', { tm_id: '127_0_0_1:42301_9c6114' }).value, 10);
  });

  it('counts jobs by state with a zero series for every other known state', () => {
    const b = builder();
    mapJobCounts(fixture<R.JobsOverviewResponse>('jobs-overview-1.20.5.json'), b);
    assert.equal(one(b.samples, 'flink_rest_jobs', { state: 'RUNNING' }).value, 1);
    assert.equal(one(b.samples, 'flink_rest_jobs', { state: 'CANCELED' }).value, 1);
    assert.equal(one(b.samples, 'flink_rest_jobs', { state: 'FAILED' }).value, 0);
    assert.equal(b.samples.length, 11);
  });
});

describe('flink_rest source: job figures', () => {
  const job = fixture<R.JobDetailsResponse>('job-1.20.5.json');
  const labels = jobLabels(job.jid, job.name);

  it('computes uptime from the JobManager clock like the reporter (now − last RUNNING entry)', () => {
    const b = builder();
    mapJobDetails(labels, job, b);
    assert.equal(one(b.samples, 'flink_jobmanager_job_uptime').value, job.now! - job.timestamps!['RUNNING']!);
    assert.equal(one(b.samples, 'flink_rest_job_vertices').value, 2);
    const stopped = builder();
    mapJobDetails(labels, { ...job, state: 'RESTARTING' }, stopped);
    assert.equal(one(stopped.samples, 'flink_jobmanager_job_uptime').value, 0);
  });

  it('reads numRestarts (a string in Flink\'s answer) as flink_jobmanager_job_numRestarts', () => {
    const b = builder();
    mapJobMetrics(labels, fixture<R.MetricValuesResponse>('job-metrics-1.20.5.json'), b);
    const s = one(b.samples, 'flink_jobmanager_job_numRestarts', { job_id: job.jid, job_name: 'CarTopSpeedWindowingExample' });
    assert.equal(s.value, 0);
  });

  it('marks the previous state series stale when the job changes state', () => {
    const b = builder();
    mapJobState(labels, 'RESTARTING', 'RUNNING', b);
    assert.equal(b.samples.find((s) => s.stale)?.labels['state'], 'RUNNING');
    assert.equal(one(b.samples, 'flink_rest_job_state', { state: 'RESTARTING' }).value, 4);
  });

  const cases = [
    { version: '1.20.5', id: 3, completed: 3, duration: 40, ack: 1795563588284 },
    { version: '2.3.0', id: 5, completed: 5, duration: 30, ack: 1795563827686 },
  ];
  for (const c of cases) {
    it(`maps /checkpoints of Flink ${c.version}: counts, last id, duration, sizes and age`, () => {
      const b = builder();
      mapCheckpoints(labels, fixture<R.CheckpointsResponse>(`checkpoints-${c.version}.json`), c.ack + 12_500, b);
      assert.equal(one(b.samples, 'flink_jobmanager_job_numberOfCompletedCheckpoints').value, c.completed);
      assert.equal(one(b.samples, 'flink_jobmanager_job_numberOfFailedCheckpoints').value, 0);
      assert.equal(one(b.samples, 'flink_jobmanager_job_totalNumberOfCheckpoints').value, c.completed);
      assert.equal(one(b.samples, 'flink_rest_job_last_checkpoint_id').value, c.id);
      assert.equal(one(b.samples, 'flink_jobmanager_job_lastCheckpointDuration').value, c.duration);
      assert.equal(one(b.samples, 'flink_jobmanager_job_lastCheckpointSize').value, 9718);
      assert.equal(one(b.samples, 'flink_jobmanager_job_lastCheckpointFullSize').value, 9718);
      assert.equal(one(b.samples, 'flink_rest_job_last_checkpoint_age_seconds').value, 12.5);
      assert.equal(b.samples.some((s) => s.name === 'flink_jobmanager_job_lastCheckpointRestoreTimestamp'), false);
    });
  }

  it('emits no last-checkpoint figures before the first checkpoint completes', () => {
    const b = builder();
    mapCheckpoints(labels, { counts: { completed: 0, failed: 0, total: 0, in_progress: 1 }, latest: { completed: null, failed: null, restored: null } }, T0, b);
    assert.deepEqual(b.samples.map((s) => s.name).sort(), [
      'flink_jobmanager_job_numberOfCompletedCheckpoints', 'flink_jobmanager_job_numberOfFailedCheckpoints',
      'flink_jobmanager_job_numberOfInProgressCheckpoints', 'flink_jobmanager_job_totalNumberOfCheckpoints',
    ]);
  });
});

describe('flink_rest source: vertex figures', () => {
  const job = fixture<R.JobDetailsResponse>('job-1.20.5.json');
  const [sourceVertex, windowVertex] = job.vertices!;

  it('asks only for ids the vertex has (Flink answers [] for the whole call if one id is unknown)', () => {
    const src = selectVertexMetricIds(fixture('vertex-source-names-1.20.5.json'));
    assert.ok(src.includes('busyTimeMsPerSecond') && src.includes('numRecordsOutPerSecond'));
    assert.ok(!src.includes('currentInputWatermark'), 'a source vertex has no task input watermark');
    assert.deepEqual(src.filter((id) => id.includes('Watermark')).sort(), ['Source__Car_data_generator_source.currentOutputWatermark', 'Timestamps/Watermarks.currentOutputWatermark']);
    assert.ok(selectVertexMetricIds(fixture('vertex-window-names-1.20.5.json')).includes('currentInputWatermark'));
    assert.deepEqual(selectVertexMetricIds([]), []);
  });

  it('maps a source vertex: max busy/idle/back-pressure, summed records, watermark from the chain tail', () => {
    const b = builder();
    const labels = vertexLabels(jobLabels(job.jid, job.name), sourceVertex!);
    mapVertexMetrics(labels, fixture('vertex-source-agg-1.20.5.json'), 1_795_565_907_785, b);
    assert.equal(one(b.samples, 'flink_taskmanager_job_task_idleTimeMsPerSecond', { task_name: 'Source:_Car_data_generator_source____Timestamps_Watermarks' }).value, 1000);
    assert.equal(one(b.samples, 'flink_taskmanager_job_task_busyTimeMsPerSecond').value, 0);
    assert.equal(one(b.samples, 'flink_rest_vertex_idle_ratio', { agg: 'avg' }).value, 1);
    assert.equal(one(b.samples, 'flink_rest_vertex_backpressure_level').value, 0);
    assert.equal(one(b.samples, 'flink_taskmanager_job_task_numRecordsOut').value, 539);
    assert.equal(one(b.samples, 'flink_rest_vertex_watermark_lag_seconds').value, 5);
    assert.equal(one(b.samples, 'flink_taskmanager_job_task_busyTimeMsPerSecond').labels['task_id'], sourceVertex!.id);
  });

  it('maps a downstream vertex: the input watermark (slowest subtask) gives the lag', () => {
    const b = builder();
    mapVertexMetrics(vertexLabels(jobLabels(job.jid, job.name), windowVertex!), fixture('vertex-window-agg-1.20.5.json'), 1_795_565_901_484, b);
    assert.equal(one(b.samples, 'flink_rest_vertex_watermark_ms').value, 1_795_565_891_484);
    assert.equal(one(b.samples, 'flink_rest_vertex_watermark_lag_seconds').value, 10);
    assert.equal(one(b.samples, 'flink_taskmanager_job_task_numRecordsIn').value, 426);
  });

  it('emits no watermark figures while every watermark is still Long.MIN_VALUE', () => {
    const b = builder();
    mapVertexMetrics({}, [{ id: 'currentInputWatermark', min: -9.223372036854776e18, max: -9.223372036854776e18 }], T0, b);
    assert.equal(b.samples.length, 0);
  });

  for (const [ratio, level] of [[0, 0], [0.1, 0], [0.11, 1], [0.5, 1], [0.51, 2], [1, 2]] as const) {
    it(`puts a back-pressured ratio of ${ratio} at level ${level} (Flink's own thresholds)`, () => assert.equal(backPressureLevel(ratio), level));
  }
});

describe('flink_rest source: exception events', () => {
  const job = { id: '90dd68807ad53c566aaa1943540e982a', name: 'CarTopSpeedWindowingExample' };
  const cases = [
    { version: '1.20.5', type: 'org.apache.flink.runtime.jobmaster.JobMasterException', ts: 1795563665304, location: 'localhost:36225', tm: '127.0.0.1:34365-ed41ec' },
    { version: '2.3.0', type: 'org.apache.flink.runtime.resourcemanager.exceptions.ResourceManagerException', ts: 1795563890589, location: 'localhost:44531', tm: '127.0.0.1:42273-9450c7' },
  ];
  for (const c of cases) {
    it(`turns exceptionHistory of Flink ${c.version} into one ERROR event with a deterministic id`, () => {
      const records = exceptionRecords(job.id, job.name, fixture(`exceptions-${c.version}.json`), BASE);
      assert.equal(records.length, 1);
      const r = records[0]!;
      assert.equal(r.id, `rest:exception:${job.id}:${c.ts}:${c.type}`);
      assert.equal(r.logKind, 'event');
      assert.equal(r.stream, 'rest');
      assert.equal(r.component, 'jobmanager');
      assert.equal(r.level, 'ERROR');
      assert.equal(r.timestampMs, c.ts);
      assert.equal(r.message, `${c.type}: TaskManager with id ${c.tm} is no longer reachable.`);
      assert.equal(r.exception?.type, c.type);
      assert.equal(r.exception?.message, `TaskManager with id ${c.tm} is no longer reachable.`);
      assert.match(r.exception!.stack, /\tat org\.apache\.flink\.runtime\.heartbeat\.DefaultHeartbeatMonitor/);
      assert.deepEqual(r.attributes, {
        job_id: job.id, job_name: job.name, location: c.location, taskmanager_id: c.tm,
        task_name: 'Source: Car data generator source -> Timestamps/Watermarks (1/1) - execution #0',
      });
      assert.deepEqual(r.labels, BASE);
    });
  }

  it('parses the Caused by chain (top level only; indented ones belong to Suppressed blocks)', () => {
    const trace = [
      'org.apache.flink.runtime.JobException: Recovery is suppressed by NoRestartBackoffTimeStrategy',
      '\tat org.apache.flink.runtime.executiongraph.failover.ExecutionFailureHandler.handleFailure(ExecutionFailureHandler.java:180)',
      '\tSuppressed: java.lang.IllegalStateException: closing',
      '\t\tCaused by: java.io.EOFException',
      'Caused by: java.io.IOException: Connection reset: peer closed',
      '\tat org.example.Sink.write(Sink.java:42)',
      'Caused by: java.net.SocketException',
      '\t... 12 more',
      '',
    ].join('\n');
    const e = parseStackTrace(trace, 'org.apache.flink.runtime.JobException');
    assert.equal(e.type, 'org.apache.flink.runtime.JobException');
    assert.equal(e.message, 'Recovery is suppressed by NoRestartBackoffTimeStrategy');
    assert.deepEqual(e.causes, [{ type: 'java.io.IOException', message: 'Connection reset: peer closed' }, { type: 'java.net.SocketException', message: '' }]);
    assert.equal(e.stack.endsWith('... 12 more'), true);
  });

  it('emits each exception once across rounds, and again (same id) from a fresh tracker after an agent restart', () => {
    const resp = fixture<R.ExceptionsResponse>('exceptions-1.20.5.json');
    const tracker = new EventTracker();
    const first = tracker.newExceptions(job.id, job.name, resp, BASE);
    assert.equal(first.length, 1);
    assert.equal(tracker.newExceptions(job.id, job.name, resp, BASE).length, 0);
    assert.equal(tracker.newExceptions(job.id, job.name, resp, BASE).length, 0);
    assert.deepEqual(new EventTracker().newExceptions(job.id, job.name, resp, BASE).map((r) => r.id), first.map((r) => r.id));
  });
});

describe('flink_rest source: state-change events', () => {
  const job = fixture<R.JobDetailsResponse>('job-1.20.5.json');
  const ts = job.timestamps!;

  it('derives the submission transitions from the timestamps map, oldest first, each once', () => {
    const tracker = new EventTracker();
    const first = tracker.newStateChanges(job, BASE);
    assert.deepEqual(first.map((r) => [r.attributes['from_state'], r.attributes['to_state'], r.level]), [
      [undefined, 'INITIALIZING', 'INFO'], ['INITIALIZING', 'CREATED', 'INFO'], ['CREATED', 'RUNNING', 'INFO'],
    ]);
    assert.equal(first[2]!.id, `rest:state:${job.jid}:RUNNING:${ts['RUNNING']}`);
    assert.equal(first[2]!.timestampMs, ts['RUNNING']);
    assert.equal(first[2]!.message, `Job CarTopSpeedWindowingExample (${job.jid}) switched from state CREATED to RUNNING.`);
    assert.equal(tracker.newStateChanges(job, BASE).length, 0);
  });

  it('after a TaskManager loss yields exactly RUNNING→RESTARTING and RESTARTING→RUNNING, once', () => {
    const tracker = new EventTracker();
    tracker.newStateChanges(job, BASE);
    const restarted = { ...job, timestamps: { ...ts, RESTARTING: ts['RUNNING']! + 60_000, RUNNING: ts['RUNNING']! + 62_000 } };
    const changes = tracker.newStateChanges(restarted, BASE);
    assert.deepEqual(changes.map((r) => [r.attributes['from_state'], r.attributes['to_state'], r.level]), [['RUNNING', 'RESTARTING', 'WARN'], ['RESTARTING', 'RUNNING', 'INFO']]);
    assert.equal(tracker.newStateChanges(restarted, BASE).length, 0);
    // An agent restarted later re-derives the same ids, so sinks keyed on the id store nothing twice.
    const again = new EventTracker().newStateChanges(restarted, BASE).map((r) => r.id);
    for (const r of changes) assert.ok(again.includes(r.id));
  });

  it('levels state changes by the state entered', () => {
    assert.deepEqual(['RUNNING', 'RESTARTING', 'FAILING', 'FAILED', 'CANCELED', 'FINISHED'].map(stateLevel), ['INFO', 'WARN', 'ERROR', 'ERROR', 'WARN', 'INFO']);
  });

  it('forgets jobs Flink no longer lists', () => {
    const tracker = new EventTracker();
    tracker.newStateChanges(job, BASE);
    tracker.retain(new Set());
    assert.equal(tracker.newStateChanges(job, BASE).length, 3);
  });
});

describe('flink_rest source: leader rule (emit_cluster_metrics: auto)', () => {
  const me: LocalIdentity = { addresses: new Set(['127.0.0.1', '::1', '10.0.0.5']), names: new Set(['flink-jm-1.example.com', 'flink-jm-1']) };
  const dns = async (h: string) => ({ 'flink-jm-1.example.com': ['10.0.0.5'], 'flink-tm-2': ['10.0.0.7'] })[h] ?? [];

  const hostCases: Array<[string, string | undefined, string]> = [
    ['127.0.0.1', 'localhost', '127.0.0.1'], // test rig: rpc address is loopback → the URL decides
    ['127.0.0.1', 'flink-jm-1.example.com', 'flink-jm-1.example.com'], // the configured rpc address wins
    ['jm.example.com', '0.0.0.0', 'jm.example.com'], // a wildcard says nothing
    ['jm.example.com', undefined, 'jm.example.com'], // /jobmanager/config not readable
    ['[::1]', undefined, '::1'],
  ];
  for (const [urlHost, rpc, expected] of hostCases) {
    it(`judges host ${expected} for URL host ${urlHost} and rpc address ${rpc ?? '(unknown)'}`, () => assert.equal(jobManagerHost(urlHost, rpc), expected));
  }

  const localCases: Array<[string, boolean]> = [
    ['localhost', true], ['127.0.0.1', true], ['::1', true], ['10.0.0.5', true], ['flink-jm-1', true],
    ['flink-jm-1.example.com', true], ['10.0.0.7', false], ['flink-tm-2', false], ['unresolvable.invalid', false],
  ];
  for (const [host, local] of localCases) {
    it(`${local ? 'emits' : 'stays quiet'} when the JobManager host is ${host}`, async () => assert.equal(await isLocalHost(host, me, dns), local));
  }
});

describe('flink_rest source: JobManager unreachable', () => {
  /** A loopback port that nothing listens on (bound, then closed), so the refusal is real. */
  async function closedPort(): Promise<number> {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    await new Promise<void>((r) => srv.close(() => r()));
    return port;
  }

  it('returns flink_rest_up 0, sets one clear status message and warns once, not every round', async () => {
    const port = await closedPort();
    const ctx = recordingContext();
    const source = new FlinkRestSource(parse({ url: `http://127.0.0.1:${port}`, labels: { team: 'data' } }), ctx);
    try {
      for (let i = 0; i < 3; i++) {
        const out = await source.collect(new AbortController().signal);
        assert.equal(out.length, 1);
        const up = one(out, 'flink_rest_up');
        assert.equal(up.value, 0);
        assert.deepEqual(up.labels, { dc: 'lab', team: 'data', cluster: 'test-cluster', node: 'node-1' });
      }
      assert.equal(ctx.statusErrors.length, 3);
      assert.equal(ctx.statusErrors[0], `JobManager at http://127.0.0.1:${port} unreachable (ECONNREFUSED), retrying in 15s`);
      assert.deepEqual(ctx.logs.filter((l) => l.level === 40).map((l) => l.msg), [ctx.statusErrors[0]]);
      assert.equal(ctx.statusOks, 0);
    } finally {
      await source.close();
    }
  });

  it('formats the retry delay the way operators write it', () => {
    assert.deepEqual([500, 15_000, 90_000, 3_600_000].map(formatDuration), ['500ms', '15s', '1m30s', '1h']);
  });

  it('never reports samples without the agent labels', () => {
    const b = new SampleBuilder({ cluster: 'c', node: 'n' }, T0);
    b.add('x', { job_id: 'j' }, 1);
    b.add('y', {}, Number.NaN);
    assert.deepEqual(samples(b.samples).map((s) => s.labels), [{ cluster: 'c', node: 'n', job_id: 'j' }]);
  });
});

describe('flink_rest source: metric caches', () => {
  it('re-uses values younger than metrics_min_interval and lets a slightly early round (jitter) refetch', () => {
    const cache = new TimedCache<number>();
    cache.set('job/v1', 7, 1_000);
    assert.equal(cache.fresh('job/v1', 1_000 + 5_000, 10_000), 7);
    assert.equal(cache.fresh('job/v1', 1_000 + 9_400, 10_000), 7);
    assert.equal(cache.fresh('job/v1', 1_000 + 9_600, 10_000), undefined);
    assert.equal(cache.fresh('job/v2', 1_000, 10_000), undefined);
  });

  it('drops the entries of jobs that stopped running, and single entries on demand', () => {
    const cache = new TimedCache<number>();
    cache.set('a/', 1, 0);
    cache.set('a/v1', 2, 0);
    cache.set('b/v1', 3, 0);
    cache.retainPrefixes(new Set(['a/']));
    assert.deepEqual([cache.fresh('a/', 0, 10_000), cache.fresh('a/v1', 0, 10_000), cache.fresh('b/v1', 0, 10_000)], [1, 2, undefined]);
    cache.delete('a/v1');
    assert.equal(cache.fresh('a/v1', 0, 10_000), undefined);
  });

  it('keeps a complete metric-name list for minutes but an incomplete one only one metric interval', () => {
    assert.equal(nameListMaxAge(['busyTimeMsPerSecond', 'numRecordsIn'], 10_000), 300_000);
    assert.equal(nameListMaxAge([], 10_000), 10_000);
  });
});
