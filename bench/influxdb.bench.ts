// influxdb sink throughput: the agent path (the sink's send(): line protocol encode + optional gzip + POST +
// classify) against `curl` POSTing the same requests, rendered to files before the clock starts (one curl
// process, keep-alive, requests chained with -K), into the same InfluxDB 1.x database, with the same number of
// requests in flight on both sides: 1, and 2 (the sink's default request.concurrency; curl --parallel).
// Plain: curl sends the line protocol; gzip: curl sends the same bytes gzipped at the sink's level with
// Content-Encoding: gzip, so InfluxDB does the same work (gunzip + parse + write) for both.
// Target: agent/curl ≥ 0.8. Also CPU seconds per million samples of each side.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { influxDbSink } from '../src/sinks/influxdb';
import { gzipLines } from '../src/sinks/influxdb/client';
import { LineEncoder } from '../src/sinks/influxdb/encode';
import { influxDbSchema } from '../src/sinks/influxdb/schema';
import { sendsOpen } from '../src/pipeline/sink-runner';
import { ensureServices } from '../test/setup/env';
import { flinkBatch } from './remote-write.bench';
import { inPool, measure, servicePid, settleHeap, silentContext, withCoresApart, withProcessCpu } from './support';
import type { BenchResult } from './types';

const SERIES = Number(process.env.BENCH_INFLUX_SERIES ?? 2000);
const BATCHES = Number(process.env.BENCH_INFLUX_BATCHES ?? 50);
/** Alternating rounds: with 3, the ratio at 2 in flight moved 0.76–0.95 (plain) between runs on this machine. */
const ROUNDS = 8;
const MODES = ['plain', 'gzip'] as const;
type Mode = (typeof MODES)[number];
/**
 * Requests in flight on both sides: 1, and 2 (the sink's default). `c2_apart` is 2 in flight with this process
 * and curl on one core and InfluxDB on the other (withCoresApart): a diagnostic for a server on a machine of its
 * own, reported beside the shared-core figures, not instead.
 */
const PASSES = [
  { pass: 'c1', c: 1, apart: false },
  { pass: 'c2', c: 2, apart: false },
  { pass: 'c2_apart', c: 2, apart: true },
] as const;
type Variant = `${(typeof PASSES)[number]['pass']}_${Mode}`;
const VARIANTS = PASSES.flatMap(({ pass, c, apart }) => MODES.map((mode) => ({ c, mode, apart, key: `${pass}_${mode}` as Variant })));

async function query(base: string, q: string): Promise<void> {
  const res = await fetch(`${base}/query`, { method: 'POST', body: new URLSearchParams({ q }) });
  if (!res.ok) throw new Error(`${q}: HTTP ${res.status}`);
}

/** Runs one `curl -K cfg`; returns its wall and CPU seconds (bash `times`, children line) and the status codes. */
function curl(cfg: string, concurrency: number): Promise<{ wall: number; cpu: number; codes: string[] }> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const parallel = concurrency > 1 ? `--parallel --parallel-max ${concurrency} ` : '';
    const child = spawn('bash', ['-c', `curl -sS ${parallel}-K '${cfg}' && times`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('close', (code) => {
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      if (code !== 0) return reject(new Error(`curl failed (${code}): ${err}`));
      const lines = out.trim().split('\n');
      const m = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/.exec(lines.at(-1)!);
      const cpu = m ? Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]) : Number.NaN;
      resolve({ wall, cpu, codes: lines.slice(0, -2) });
    });
  });
}

export async function run(): Promise<BenchResult> {
  const env = await ensureServices(['influxdb']);
  const db = `fta_bench_${Math.random().toString(36).slice(2, 8)}`;
  await query(env.influxdb, `CREATE DATABASE "${db}"`);
  const dir = mkdtempSync(join(tmpdir(), 'fta-influx-bench-'));
  const mapping = { measurementPerMetric: true, measurement: 'flink', field: 'value', precision: 'ms' as const };
  const url = `${env.influxdb}/write?db=${db}&precision=ms`;
  const signal = new AbortController().signal;
  // server: InfluxDB's CPU seconds while that side ran (it shares the 2 cores with the sender).
  const totals = Object.fromEntries(VARIANTS.map((v) => [v.key, { agent: { wall: 0, cpu: 0, server: 0 }, curl: { wall: 0, cpu: 0, server: 0 } }])) as Record<Variant, Record<'agent' | 'curl', { wall: number; cpu: number; server: number }>>;
  const serverPid = servicePid(env.dataDir, 'influxdb');
  /** Runs one side and adds InfluxDB's CPU meanwhile to `into`. */
  const withServerCpu = async <T>(into: { server: number }, side: () => Promise<T>): Promise<T> => {
    const { result, cpu } = await withProcessCpu(serverPid, side);
    into.server += cpu;
    return result;
  };
  const sinks = Object.fromEntries(
    VARIANTS.map((v) => [v.key, influxDbSink.create(influxDbSchema.parse({ type: 'influxdb', url: env.influxdb, database: db, gzip: v.mode === 'gzip', request: { concurrency: v.c }, inputs: ['b'] }), silentContext())]),
  ) as Record<Variant, ReturnType<typeof influxDbSink.create>>;
  // Every (side, mode, round) writes its own timestamps into the same series: the same work for InfluxDB.
  let slot = 0;
  try {
    // Create the series first, so no side pays InfluxDB's index work for new series; and let each sink encode
    // them once: an agent sends the same series every scrape, so its prefix cache is warm in steady state.
    const warm = await fetch(url, { method: 'POST', body: new LineEncoder(mapping).encode(flinkBatch('influx', slot++, 0, SERIES)).body });
    if (warm.status !== 204) throw new Error(`warm-up write: HTTP ${warm.status}`);
    for (const v of VARIANTS) await sinks[v.key].send(flinkBatch('influx', slot++, 0, SERIES), { signal, attempt: 1 });

    // curl's requests: the line protocol the agent would send (gzipped alike), written to files before any clock
    // starts — all rounds up front, so the garbage of rendering them is not collected on the agent's clock.
    const encoder = new LineEncoder(mapping);
    const curlConfigs = Array.from({ length: ROUNDS }, (_, round) =>
      Object.fromEntries(
        VARIANTS.map(({ mode, key }) => {
          const curlSlot = slot++;
          const files = Array.from({ length: BATCHES }, (_, b) => {
            const body = encoder.encode(flinkBatch('influx', curlSlot, b, SERIES)).body;
            const file = join(dir, `r${round}-${key}-${b}.lp`);
            writeFileSync(file, mode === 'gzip' ? gzipLines(body) : body);
            return file;
          });
          const header = mode === 'gzip' ? 'header = "Content-Encoding: gzip"\n' : '';
          const cfg = join(dir, `r${round}-${key}.cfg`);
          writeFileSync(cfg, files.map((f) => `url = "${url}"\n${header}data-binary = "@${f}"\noutput = "/dev/null"\nwrite-out = "%{http_code}\\n"\n`).join('next\n'));
          return [key, cfg];
        }),
      ) as Record<Variant, string>,
    );

    for (let round = 0; round < ROUNDS; round++) {
      for (const { c, key, apart } of VARIANTS) {
        const cfg = curlConfigs[round]![key];
        const batches = Array.from({ length: BATCHES }, (_, b) => flinkBatch('influx', slot, b, SERIES));
        slot++;
        const agentSide = async () => {
          settleHeap();
          const t = await measure(() =>
            withServerCpu(totals[key].agent, () =>
              // As many sends open as a SinkRunner keeps (this sink builds none ahead: measured, see docs/pipeline.md).
              inPool(batches.length, sendsOpen(sinks[key], c), async (b) => {
                const r = await sinks[key].send(batches[b]!, { signal, attempt: 1 });
                if (r.kind !== 'ok') throw new Error(`agent path: ${JSON.stringify(r)}`);
              }),
            ),
          );
          totals[key].agent.wall += t.wall;
          totals[key].agent.cpu += t.cpu;
        };
        const curlSide = async () => {
          const t = await withServerCpu(totals[key].curl, () => curl(cfg, c));
          if (t.codes.length !== BATCHES || t.codes.some((code) => code !== '204')) throw new Error(`curl got ${t.codes.join(',')}`);
          totals[key].curl.wall += t.wall;
          totals[key].curl.cpu += t.cpu;
        };
        // Alternate who goes first, so a server that slows down as the shard grows hits both sides alike.
        const both = () => (round % 2 === 0 ? curlSide().then(agentSide) : agentSide().then(curlSide));
        // Pinned, curl inherits this process's core (it is spawned while the pin holds).
        await (apart ? withCoresApart(serverPid, both) : both());
      }
    }
  } finally {
    for (const v of VARIANTS) await sinks[v.key].close?.();
    rmSync(dir, { recursive: true, force: true });
    await query(env.influxdb, `DROP DATABASE "${db}"`).catch(() => undefined);
  }
  const samples = SERIES * BATCHES * ROUNDS;
  const metrics: Record<string, number> = {};
  for (const { key } of VARIANTS) {
    const { agent, curl: raw } = totals[key];
    metrics[`${key}_agent_samples_per_s`] = Math.round(samples / agent.wall);
    metrics[`${key}_curl_samples_per_s`] = Math.round(samples / raw.wall);
    metrics[`${key}_ratio_vs_curl`] = raw.wall / agent.wall;
    metrics[`${key}_agent_cpu_s_per_million`] = agent.cpu * (1e6 / samples);
    metrics[`${key}_curl_cpu_s_per_million`] = raw.cpu * (1e6 / samples);
    metrics[`${key}_agent_server_cpu_s_per_million`] = agent.server * (1e6 / samples);
    metrics[`${key}_curl_server_cpu_s_per_million`] = raw.server * (1e6 / samples);
    metrics[`${key}_agent_cores_busy`] = (agent.cpu + agent.server) / agent.wall;
    metrics[`${key}_curl_cores_busy`] = (raw.cpu + raw.server) / raw.wall;
  }
  return {
    name: 'influxdb',
    metrics,
    notes: [
      `${samples} samples per side and variant in ${ROUNDS} alternating rounds of ${BATCHES} requests of ${SERIES} lines (Flink operator tags), InfluxDB ${env.influxdb} (1.x), fresh database. c1/c2 = requests in flight on both sides (2 is the sink's default).`,
      'curl = one `curl -K` process per round POSTing pre-rendered files (--data-binary @file, keep-alive; c2: --parallel --parallel-max 2): the same line protocol (plain), or the same bytes gzipped at the sink\'s level (gzip). ratio = curl time / agent time (target ≥ 0.8).',
      'The series are created by a warm-up write and each sink sends one batch before the clock (steady state: the same series every scrape); each side then writes new timestamps into them.',
      'c2_apart = two in flight with this process and curl pinned to CPU 0 and InfluxDB to CPU 1 (taskset, every thread): a diagnostic standing for a server on a machine of its own; the target is judged on c1/c2, where all share the 2 cores.',
      'CPU: this Node process (process.cpuUsage, encoding and gzip included) for the agent, curl\'s own (bash times) for curl; server_cpu: InfluxDB\'s meanwhile (/proc/<pid>/stat); cores_busy: sender + InfluxDB per wall second, of the 2 cores they share (near 2 = CPU-bound, where the ratio is set by CPU per sample).',
    ],
  };
}
