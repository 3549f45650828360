// prometheus_remote_write throughput: the agent path (the sink's send(): group + sort + protobuf encode + snappy +
// POST + classify) against a raw sender POSTing the SAME batches pre-encoded and pre-compressed before the clock
// starts, the same number of requests in flight each, into the same VictoriaMetrics in the same run. Target:
// agent/raw ≥ 0.8. Also CPU seconds per million samples (process.cpuUsage), and for the encoder alone.
// The agent side is fed two ways: `scraped`, label objects as the flink_prometheus source emits them (one frozen
// object per series, the same on every scrape: the steady state of a scraped agent), and `fresh`, a new label
// object per sample (what other sources emit, and what a disk-queue replay decodes), which the sink must hash.
import { Agent } from 'undici';
import type { Labels, Sample } from '../src/model';
import { remoteWriteSink } from '../src/sinks/prometheus-remote-write';
import { snappy } from '../src/sinks/prometheus-remote-write/client';
import { RemoteWriteEncoder } from '../src/sinks/prometheus-remote-write/encode';
import { remoteWriteSchema } from '../src/sinks/prometheus-remote-write/schema';
import { testContext } from '../test/sinks/prometheus-remote-write.fixtures';
import { sendsOpen } from '../src/pipeline/sink-runner';
import { ensureServices } from '../test/setup/env';
import type { BenchResult } from './types';
import { inPool, measure as stopwatch, servicePid, settleHeap, withCoresApart, withProcessCpu } from './support';

const SERIES = Number(process.env.BENCH_RW_SERIES ?? 2000);
const BATCHES = Number(process.env.BENCH_RW_BATCHES ?? 100);
/** Many short alternating rounds: VictoriaMetrics' background merges land on whichever side runs, so they even out. */
const ROUNDS = 10;
/**
 * In flight at once on both sides: 1 isolates per-request cost; 2 is the sink's default request.concurrency.
 * `c2_apart` is 2 in flight with this process on one core and VictoriaMetrics on the other (withCoresApart): a
 * diagnostic for a receiver on a machine of its own, reported beside the shared-core figures, not instead.
 */
const PASSES = [
  { key: 'c1', concurrency: 1, apart: false },
  { key: 'c2', concurrency: 2, apart: false },
  { key: 'c2_apart', concurrency: 2, apart: true },
] as const;
const FEEDS: readonly Feed[] = ['scraped', 'fresh'];

type Feed = 'scraped' | 'fresh';

/** The label set of series `s`: Flink's TaskManager task/operator label names and value shapes. */
function flinkLabels(s: number): Labels {
  return {
    job_id: '90dd68807ad53c566aaa1943540e982a', job_name: 'CarTopSpeedWindowingExample', host: '127_0_0_1',
    tm_id: `127_0_0_1:34365_ed41ec`, task_name: 'GlobalWindows____Sink:_Print_to_Std__Out', task_attempt_num: '0',
    operator_name: `op_${Math.floor(s / 40) % 10}`, subtask_index: String(Math.floor(s / 400)),
  };
}

/** Per series, the one frozen label object a scraping source hands out on every scrape (see `Feed`). */
const scrapedLabels: Array<Readonly<Labels>> = [];

/** Wall time of one slot's batches: batch `b` of slot `n` is stamped `SLOTS_FROM + n * SLOT_MS + b` seconds. */
const SLOT_MS = 200_000;
/**
 * Every timestamp a bench writes lies in the 12 hours before it started, one second apart within a slot: what a
 * 1 s scrape leaves behind. Timestamps in the future are not that: VictoriaMetrics silently ignores samples more
 * than two days ahead (`vm_rows_ignored_total{reason="big_timestamp"}`), which cheapened the receiver's side of
 * the fourth session's runs with 2 in flight.
 */
const SLOTS_FROM = Math.floor(Date.now() / 1000) * 1000 - 12 * 3_600_000;
const MAX_SLOTS = (12 * 3_600_000) / SLOT_MS;

/**
 * One "scrape" worth of Flink TaskManager task/operator series, one sample each. `slot` (0 … 215) gives each
 * (side, round) its own stretch of time, so every request stores new samples of the same series.
 */
export function flinkBatch(run: string, slot: number, b: number, series = SERIES, feed: Feed = 'fresh'): Sample[] {
  if (!(slot >= 0 && slot < MAX_SLOTS) || b * 1000 >= SLOT_MS) throw new Error(`flinkBatch: slot ${slot} / batch ${b} outside the bench's 12 hours (at most ${SLOT_MS / 1000} batches a slot)`);
  const t = SLOTS_FROM + slot * SLOT_MS + b * 1000;
  const out: Sample[] = [];
  for (let s = 0; s < series; s++) {
    out.push({
      kind: 'sample',
      name: `flink_taskmanager_job_task_operator_bench_${run}_${s % 40}`,
      labels: feed === 'scraped' ? (scrapedLabels[s] ??= Object.freeze(flinkLabels(s))) : flinkLabels(s),
      value: (s * 7919 + b) % 1000 / 7,
      timestampMs: t,
    });
  }
  return out;
}

interface Side {
  ms: number;
  /** This process's CPU seconds (the sender's side). */
  cpu: number;
  /** The receiver's CPU seconds meanwhile. */
  receiverCpu: number;
}

const side = (): Side => ({ ms: 0, cpu: 0, receiverCpu: 0 });

/** Runs `body` and adds its wall milliseconds, its CPU seconds and the receiver's (`receiverPid`) to `into`. */
async function clocked(into: Side, receiverPid: number, body: () => Promise<void>): Promise<void> {
  const { result: own, cpu: receiver } = await withProcessCpu(receiverPid, () => stopwatch(body));
  into.ms += own.wall * 1000;
  into.cpu += own.cpu;
  into.receiverCpu += receiver;
}

/** Hands out flinkBatch slots in order: every (side, round) of a run writes its own stretch of time. */
class Slots {
  private next = 0;
  take(): number {
    return this.next++;
  }
}

async function measure(url: string, receiverPid: number, runId: string, concurrency: number, slots: Slots): Promise<Record<'raw' | Feed, Side>> {
  const sink = remoteWriteSink.create(
    remoteWriteSchema.parse({ type: 'prometheus_remote_write', url, inputs: ['b'], request: { concurrency } }),
    testContext('bench'),
  );
  const raw = new Agent({ connections: concurrency });
  const target = new URL(url);
  const signal = new AbortController().signal;
  const totals = { raw: side(), scraped: side(), fresh: side() };
  // Steady state: an agent scrapes the same series every interval, so the label cache is warm (and JIT done).
  for (const feed of FEEDS) await sink.send(flinkBatch(runId, slots.take(), 0, SERIES, feed), { signal, attempt: 1 });
  const rawSide = async (): Promise<void> => {
    // Raw sender: bodies built before the clock starts.
    const encoder = new RemoteWriteEncoder();
    const slot = slots.take();
    const bodies = Array.from({ length: BATCHES }, (_, b) => snappy(encoder.encode(flinkBatch(runId, slot, b)).body));
    settleHeap();
    await clocked(totals.raw, receiverPid, () =>
      inPool(bodies.length, concurrency, async (i) => {
        const res = await raw.request({
          origin: target.origin, path: target.pathname, method: 'POST', body: bodies[i]!,
          headers: { 'content-encoding': 'snappy', 'content-type': 'application/x-protobuf', 'x-prometheus-remote-write-version': '0.1.0' },
        });
        await res.body.text();
        if (res.statusCode !== 204) throw new Error(`raw sender: HTTP ${res.statusCode}`);
      }),
    );
  };
  const agentSide = async (feed: Feed): Promise<void> => {
    // Agent path: records in, SendResult out, with as many sends open as the SinkRunner keeps (concurrency +
    // readyAhead: one batch encoded ahead waits in the HTTP client for a free connection).
    const slot = slots.take();
    const batches = Array.from({ length: BATCHES }, (_, b) => flinkBatch(runId, slot, b, SERIES, feed));
    settleHeap();
    await clocked(totals[feed], receiverPid, () =>
      inPool(batches.length, sendsOpen(sink, concurrency), async (i) => {
        const r = await sink.send(batches[i]!, { signal, attempt: 1 });
        if (r.kind !== 'ok') throw new Error(`agent path: ${JSON.stringify(r)}`);
      }),
    );
  };
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate the order, so a receiver that slows down as it stores more (merges) hits every side alike.
    if (round % 2 === 0) {
      await rawSide();
      for (const feed of FEEDS) await agentSide(feed);
    } else {
      for (const feed of [...FEEDS].reverse()) await agentSide(feed);
      await rawSide();
    }
  }
  await sink.close?.();
  await raw.close();
  return totals;
}

export async function run(): Promise<BenchResult> {
  const env = await ensureServices(['victoriametrics']);
  const url = `${env.victoriametrics}/api/v1/write`;
  const receiverPid = servicePid(env.dataDir, 'victoriametrics');
  const runId = Math.random().toString(36).slice(2, 8);
  const samples = SERIES * BATCHES * ROUNDS;
  const perMillion = 1e6 / samples;
  const metrics: Record<string, number> = {};
  const slots = new Slots();
  for (const { key, concurrency, apart } of PASSES) {
    const pass = () => measure(url, receiverPid, runId, concurrency, slots);
    const t = apart ? await withCoresApart(receiverPid, pass) : await pass();
    metrics[`${key}_raw_samples_per_s`] = Math.round(samples / (t.raw.ms / 1000));
    metrics[`${key}_raw_cpu_s_per_million`] = t.raw.cpu * perMillion;
    metrics[`${key}_raw_receiver_cpu_s_per_million`] = t.raw.receiverCpu * perMillion;
    metrics[`${key}_raw_cores_busy`] = (t.raw.cpu + t.raw.receiverCpu) / (t.raw.ms / 1000);
    for (const feed of FEEDS) {
      metrics[`${key}_${feed}_agent_samples_per_s`] = Math.round(samples / (t[feed].ms / 1000));
      metrics[`${key}_${feed}_ratio_vs_raw`] = t.raw.ms / t[feed].ms;
      metrics[`${key}_${feed}_agent_cpu_s_per_million`] = t[feed].cpu * perMillion;
      metrics[`${key}_${feed}_receiver_cpu_s_per_million`] = t[feed].receiverCpu * perMillion;
      metrics[`${key}_${feed}_cores_busy`] = (t[feed].cpu + t[feed].receiverCpu) / (t[feed].ms / 1000);
    }
  }

  // Encoder + snappy alone, no network: what the agent adds per sample.
  const perSample = (cpu: NodeJS.CpuUsage) => (cpu.user + cpu.system) / (SERIES * BATCHES); // µs = s per million
  for (const feed of FEEDS) {
    const encoder = new RemoteWriteEncoder();
    const slot = slots.take();
    const batches = Array.from({ length: BATCHES }, (_, b) => flinkBatch(runId, slot, b, SERIES, feed));
    encoder.encode(batches[0]!); // the label cache is warm in steady state (same series every scrape)
    let cpu = process.cpuUsage();
    const bodies = batches.map((batch) => encoder.encode(batch).body);
    metrics[`${feed}_encode_cpu_s_per_million`] = perSample(process.cpuUsage(cpu));
    cpu = process.cpuUsage();
    for (const body of bodies) snappy(body);
    metrics.snappy_cpu_s_per_million = perSample(process.cpuUsage(cpu));
    metrics.protobuf_bytes_per_sample = bodies[0]!.length / SERIES;
  }

  return {
    name: 'remote-write',
    metrics,
    notes: [
      `${samples} samples per side and concurrency, batches of ${SERIES} (one sample per series, Flink operator labels), ${ROUNDS} alternating rounds, VictoriaMetrics ${url}.`,
      'raw = the same WriteRequests encoded and snappy-compressed before the clock, POSTed with undici; ratio_vs_raw = raw time / agent time (target ≥ 0.8). c1 = one request in flight, c2 = two (the sink default).',
      'c2_apart = two in flight with the sender pinned to CPU 0 and VictoriaMetrics to CPU 1 (taskset, every thread): a diagnostic standing for a receiver on a machine of its own; the target is judged on c1/c2, where both share the 2 cores.',
      'scraped = samples whose label objects are the frozen per-series objects flink_prometheus hands out on every scrape (the sink finds the series by identity); fresh = a new label object per sample (other sources, disk-queue replays), found by hashing.',
      'agent/raw_cpu_s_per_million: this process (the sender); receiver_cpu_s_per_million: VictoriaMetrics meanwhile (/proc/<pid>/stat, 10 ms ticks); cores_busy: both together per wall second, of the 2 cores they share.',
      'With cores_busy near 2 the run is CPU-bound: the ratio is then set by CPU per sample, (raw + receiver) / (agent + receiver), and the agent pays encode + snappy (~0.2 µs a sample alone) that the raw sender paid before its clock.',
      'Timestamps lie in the 12 h before the run: VictoriaMetrics ignores samples more than 2 days ahead (vm_rows_ignored_total{reason="big_timestamp"}), which the fourth session\'s 2-in-flight rounds were.',
    ],
  };
}
