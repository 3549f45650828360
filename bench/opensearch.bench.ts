// opensearch sink throughput: the agent path (encode + _bulk through the sink's client, item-level parsing)
// against a raw bulk loader (NDJSON bodies built before the clock starts, POSTed with fetch) into the same
// server, same batch size and concurrency, same index template. Target: agent/raw docs/s ≥ 0.8.
import { randomBytes } from 'node:crypto';
import type { LogRecord } from '../src/model';
import { encodeBulk, IndexNamer } from '../src/sinks/opensearch/encode';
import { openSearchSink } from '../src/sinks/opensearch';
import type { OpenSearchSink } from '../src/sinks/opensearch/sink';
import { ensureServices } from '../test/setup/env';
import type { BenchResult } from './types';
import { inPool, measure, silentContext } from './support';

const N = Number(process.env.BENCH_OS_RECORDS ?? 100_000);
const BATCH = 1000;
const CONCURRENCY = 2;


/** Records shaped like the flink-logs source's output for a TaskManager log. */
function records(tag: string, n: number): LogRecord[] {
  const t0 = Date.now() - 3_600_000;
  return Array.from({ length: n }, (_, i) => ({
    kind: 'log' as const,
    id: `n1:${tag}:flink-taskexecutor-0.log:${i * 180}`,
    logKind: 'log' as const,
    timestampMs: t0 + i,
    level: i % 50 === 0 ? ('WARN' as const) : ('INFO' as const),
    message: `Source: Custom Source -> Map (${i % 4 + 1}/4)#0 (a1b2c3d4e5f6_${i % 97}) switched from INITIALIZING to RUNNING. Checkpoint ${i} acknowledged in ${i % 300} ms`,
    logger: 'org.apache.flink.runtime.taskmanager.Task',
    thread: `Source: Custom Source -> Map (${i % 4 + 1}/4)#0`,
    component: 'taskmanager',
    stream: 'log' as const,
    attributes: { job_id: '3f2a9c0d1e2f3a4b5c6d7e8f9a0b1c2d', task_name: 'Source: Custom Source -> Map', file: '/opt/flink/log/flink-taskexecutor-0.log' },
    labels: { cluster: 'c1', node: 'n1', env: 'bench' },
  }));
}



export async function run(): Promise<BenchResult> {
  const url = (await ensureServices(['opensearch'])).opensearch;
  const prefix = `fta-bench-${randomBytes(3).toString('hex')}`;
  const make = (p: string) => openSearchSink.create(openSearchSink.schema.parse({ type: 'opensearch', inputs: ['x'], url, index_prefix: p, number_of_replicas: 0 }), silentContext()) as OpenSearchSink;
  const agent = make(`${prefix}-agent`);
  const rawTemplate = make(`${prefix}-raw`);
  const signal = new AbortController().signal;
  try {
    await agent.start(signal);
    await rawTemplate.start(signal); // same template for the raw loader's indices
    const agentRecords = records('agent', N);
    // The baseline's bodies are built before its clock starts: it measures only what the server and a bare
    // HTTP client cost, which is what the agent path is compared against.
    const namer = new IndexNamer({ logsPrefix: `${prefix}-raw`, metricsPrefix: 'unused', dataStream: false });
    const rawRecords = records('raw', N);
    const rawBodies: string[] = [];
    for (let i = 0; i < N; i += BATCH) rawBodies.push(encodeBulk(rawRecords.slice(i, i + BATCH), namer).body.toString('utf8'));
    const batches = Math.ceil(N / BATCH);

    let failures = 0;
    const agentBatch = async (b: number) => {
      const r = await agent.send(agentRecords.slice(b * BATCH, (b + 1) * BATCH), { signal, attempt: 1 });
      if (r.kind !== 'ok') failures++;
    };
    const rawBatch = async (b: number) => {
      const res = await fetch(`${url}/_bulk`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: rawBodies[b]! });
      const json = (await res.json()) as { errors?: boolean };
      if (!res.ok || json.errors) failures++;
    };
    // Rounds alternate (raw, agent, raw, agent…) over slices of the batches, so server warm-up, index creation
    // and merges hit both paths alike; the totals are summed.
    const rounds = 8;
    const per = Math.ceil(batches / rounds);
    const agentRun = { wall: 0, cpu: 0 };
    const rawRun = { wall: 0, cpu: 0 };
    for (let r = 0; r < rounds; r++) {
      const from = r * per;
      const to = Math.min(batches, from + per);
      const slice = (fn: (b: number) => Promise<void>) => () => inPool(to - from, CONCURRENCY, (b) => fn(from + b));
      const raw = await measure(slice(rawBatch));
      const ag = await measure(slice(agentBatch));
      rawRun.wall += raw.wall;
      rawRun.cpu += raw.cpu;
      agentRun.wall += ag.wall;
      agentRun.cpu += ag.cpu;
    }
    await fetch(`${url}/${prefix}-*/_refresh`, { method: 'POST' });
    const count = async (p: string) => ((await (await fetch(`${url}/${p}-*/_count`)).json()) as { count: number }).count;
    const [agentStored, rawStored] = [await count(`${prefix}-agent`), await count(`${prefix}-raw`)];
    const agentRate = N / agentRun.wall;
    const rawRate = N / rawRun.wall;
    return {
      name: 'opensearch',
      metrics: {
        records: N,
        agent_docs_per_s: Math.round(agentRate),
        raw_docs_per_s: Math.round(rawRate),
        ratio_vs_raw: agentRate / rawRate,
        agent_cpu_s_per_million: (agentRun.cpu / N) * 1e6,
        raw_cpu_s_per_million: (rawRun.cpu / N) * 1e6,
        failed_batches: failures,
        agent_docs_stored: agentStored,
        raw_docs_stored: rawStored,
      },
      notes: [
        `${N} Flink TaskManager log records, ${BATCH} per _bulk, ${CONCURRENCY} requests in flight, OpenSearch on loopback, same template (0 replicas) for both`,
        'agent = OpenSearchSink.send (encode + @opensearch-project/opensearch transport + item-level parsing); raw = pre-built NDJSON POSTed with fetch',
        'CPU seconds are this Node process only (process.cpuUsage), not OpenSearch',
      ],
    };
  } finally {
    await fetch(`${url}/${prefix}-*`, { method: 'DELETE' }).catch(() => undefined);
    await fetch(`${url}/_index_template/${prefix}-agent`, { method: 'DELETE' }).catch(() => undefined);
    await fetch(`${url}/_index_template/${prefix}-raw`, { method: 'DELETE' }).catch(() => undefined);
    await agent.close();
    await rawTemplate.close();
  }
}
