// The flink_prometheus source against the real Flink reporters of the test cluster (one JobManager, two
// TaskManagers, TopSpeedWindowing running).
import assert from 'node:assert/strict';
import type { Sample } from '../../src/model';
import { flinkPrometheusSource } from '../../src/sources/flink-prometheus';
import { flinkPrometheusSchema } from '../../src/sources/flink-prometheus/schema';
import type { Source, SourceContext } from '../../src/sources/types';
import type { Endpoints } from '../setup/env';
import { ensureServices } from '../setup/env';
import { recordingContext, warnings } from './flink-prometheus.context';

const build = (options: Record<string, unknown>) => {
  const ctx = recordingContext('flink_reporters');
  const source = flinkPrometheusSource.create(flinkPrometheusSchema.parse({ type: 'flink_prometheus', ...options }), ctx as unknown as SourceContext);
  return { source, ctx };
};
const collect = async (s: Source): Promise<Sample[]> => (await s.collect!(new AbortController().signal)) as Sample[];
const ups = (out: Sample[]): string[] => out.filter((s) => s.name === 'up' && s.value === 1).map((s) => s.labels.instance!).sort();

async function overviewTaskManagers(rest: string): Promise<number> {
  const res = await fetch(`${rest}/overview`);
  return ((await res.json()) as { taskmanagers: number }).taskmanagers;
}

describe('flink_prometheus source [needs: Flink cluster; start: scripts/env up --only flink]', function () {
  let env: Endpoints;
  let expected: string[];
  before(async function () {
    this.timeout(15 * 60 * 1000);
    env = await ensureServices(['flink']);
    const r = env.flinkReporters!;
    expected = [r.jobmanager, ...r.taskmanagers].map((p) => `127.0.0.1:${p}`).sort();
    assert.equal(expected.length, 3, 'the test cluster runs one JobManager and two TaskManagers');
  });

  it('finds the JobManager and both TaskManagers in the port range, each up=1', async () => {
    const [lo, hi] = env.flinkReporterPorts;
    const { source, ctx } = build({ ports: `${lo}-${hi}` });
    const out = await collect(source);
    assert.deepEqual(ups(out), expected);
    assert.equal(out.filter((s) => s.name === 'up' && s.value === 0).length, 0);
    assert.equal(ctx.counters.get('scrape_parse_errors_total'), 0);
    assert.deepEqual(warnings(ctx), []);
  });

  it('reports numRegisteredTaskManagers equal to the REST /overview count', async () => {
    const [lo, hi] = env.flinkReporterPorts;
    const { source } = build({ ports: `${lo}-${hi}` });
    // The two numbers come from different requests; poll until one round agrees (a TM could be re-registering).
    const deadline = Date.now() + 60_000;
    for (;;) {
      const out = await collect(source);
      const fromReporter = out.find((s) => s.name === 'flink_jobmanager_numRegisteredTaskManagers')?.value;
      const fromRest = await overviewTaskManagers(env.flinkRest);
      if (fromReporter === fromRest && fromRest === 2) break;
      if (Date.now() > deadline) assert.fail(`reporter says ${fromReporter} TaskManagers, /overview says ${fromRest}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  });

  it('labels TaskManager series with tm_id (two distinct) and never with task_attempt_id', async () => {
    const [lo, hi] = env.flinkReporterPorts;
    const { source, ctx } = build({ ports: `${lo}-${hi}` });
    const out = (await collect(source)).filter((s) => s.name.startsWith('flink_taskmanager_'));
    assert.ok(out.length >= 80, `${out.length} TaskManager series`);
    for (const s of out) {
      assert.ok(s.labels.tm_id, `${s.name} has tm_id`);
      assert.equal(s.labels.task_attempt_id, undefined);
      assert.equal(s.labels.task_attempt_num, undefined);
      assert.equal(s.labels.cluster, 'c1');
      assert.equal(s.labels.node, 'n1');
    }
    assert.equal(new Set(out.map((s) => s.labels.tm_id)).size, 2);
    assert.ok(out.some((s) => s.name.startsWith('flink_taskmanager_job_task_operator_')), 'the running job exposes operator series');
    assert.equal(ctx.counters.get('scrape_label_collisions_total'), 0);
  });

  it('discovers the same three reporters from the JobManager REST API, each scraped once', async () => {
    const [lo, hi] = env.flinkReporterPorts;
    const { source, ctx } = build({ discover_from: env.flinkRest, ports: `${lo}-${hi}` });
    const out = await collect(source);
    assert.deepEqual(ups(out), expected);
    assert.equal(ctx.counters.get('scrape_discovery_failures_total'), 0);
    const heap = out.filter((s) => s.name === 'flink_jobmanager_Status_JVM_Memory_Heap_Used');
    assert.equal(heap.length, 1, 'the JobManager is not scraped twice under two host names');
  });
});
