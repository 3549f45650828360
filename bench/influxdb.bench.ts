// influxdb sink throughput: the agent path (the sink's send(): line protocol encode + optional gzip + POST +
// classify) against `curl --data-binary @file` POSTing the same line protocol (written to files before the clock
// starts; one curl process, keep-alive, requests chained with --next), into the same InfluxDB 1.x database.
// Target: agent/curl ≥ 0.8. Also CPU seconds per million samples of the agent process.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { influxDbSink } from '../src/sinks/influxdb';
import { LineEncoder } from '../src/sinks/influxdb/encode';
import { influxDbSchema } from '../src/sinks/influxdb/schema';
import { testContext } from '../test/sinks/prometheus-remote-write.fixtures';
import { ensureServices } from '../test/setup/env';
import { flinkBatch } from './remote-write.bench';
import type { BenchResult } from './types';

const SERIES = Number(process.env.BENCH_INFLUX_SERIES ?? 2000);
const BATCHES = Number(process.env.BENCH_INFLUX_BATCHES ?? 40);
const run$ = promisify(execFile);

async function query(base: string, q: string): Promise<void> {
  const res = await fetch(`${base}/query`, { method: 'POST', body: new URLSearchParams({ q }) });
  if (!res.ok) throw new Error(`${q}: HTTP ${res.status}`);
}

export async function run(): Promise<BenchResult> {
  const env = await ensureServices(['influxdb']);
  const db = `fta_bench_${Math.random().toString(36).slice(2, 8)}`;
  await query(env.influxdb, `CREATE DATABASE "${db}"`);
  const dir = mkdtempSync(join(tmpdir(), 'fta-influx-bench-'));
  const mapping = { measurementPerMetric: true, measurement: 'flink', field: 'value', precision: 'ms' as const };
  const signal = new AbortController().signal;
  const ms: Record<string, number> = {};
  const cpu: Record<string, number> = {};
  try {
    // Create the series first, so neither side pays InfluxDB's index work for new series.
    const warm = await fetch(`${env.influxdb}/write?db=${db}&precision=ms`, { method: 'POST', body: new LineEncoder(mapping).encode(flinkBatch('influx', 9, 0, SERIES)).body });
    if (warm.status !== 204) throw new Error(`warm-up write: HTTP ${warm.status}`);
    // curl: the same line protocol the agent would send, in files, one curl process for all requests.
    const files = Array.from({ length: BATCHES }, (_, b) => {
      const file = join(dir, `b${b}.lp`);
      writeFileSync(file, new LineEncoder(mapping).encode(flinkBatch('influx', 0, b, SERIES)).body);
      return file;
    });
    const url = `${env.influxdb}/write?db=${db}&precision=ms`;
    const cfg = join(dir, 'curl.cfg');
    writeFileSync(cfg, files.map((f) => `url = "${url}"\ndata-binary = "@${f}"\noutput = "/dev/null"\nwrite-out = "%{http_code}\\n"\n`).join('next\n'));
    let t0 = performance.now();
    const { stdout } = await run$('curl', ['-sS', '-K', cfg]);
    ms.curl = performance.now() - t0;
    if (stdout.trim().split('\n').some((code) => code !== '204')) throw new Error(`curl got ${stdout.trim().split('\n').join(',')}`);

    for (const gzip of [false, true]) {
      const key = gzip ? 'agent_gzip' : 'agent_plain';
      const sink = influxDbSink.create(influxDbSchema.parse({ type: 'influxdb', url: env.influxdb, database: db, gzip, inputs: ['b'] }), testContext('bench'));
      const batches = Array.from({ length: BATCHES }, (_, b) => flinkBatch('influx', gzip ? 2 : 1, b, SERIES));
      const c = process.cpuUsage();
      t0 = performance.now();
      for (const batch of batches) {
        const r = await sink.send(batch, { signal, attempt: 1 });
        if (r.kind !== 'ok') throw new Error(`agent path: ${JSON.stringify(r)}`);
      }
      ms[key] = performance.now() - t0;
      const used = process.cpuUsage(c);
      cpu[key] = (used.user + used.system) / 1e6;
      await sink.close?.();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await query(env.influxdb, `DROP DATABASE "${db}"`).catch(() => undefined);
  }
  const samples = SERIES * BATCHES;
  return {
    name: 'influxdb',
    metrics: {
      agent_plain_samples_per_s: Math.round(samples / (ms.agent_plain! / 1000)),
      agent_gzip_samples_per_s: Math.round(samples / (ms.agent_gzip! / 1000)),
      curl_samples_per_s: Math.round(samples / (ms.curl! / 1000)),
      ratio_plain_vs_curl: ms.curl! / ms.agent_plain!,
      ratio_gzip_vs_curl: ms.curl! / ms.agent_gzip!,
      agent_plain_cpu_s_per_million: cpu.agent_plain! * (1e6 / samples),
      agent_gzip_cpu_s_per_million: cpu.agent_gzip! * (1e6 / samples),
    },
    notes: [
      `${samples} samples per side in ${BATCHES} requests of ${SERIES} lines (Flink operator tags), one request in flight, InfluxDB ${env.influxdb} (1.x), fresh database.`,
      'curl = one `curl -K` process POSTing the pre-rendered line-protocol files (--data-binary @file, keep-alive); ratio = curl time / agent time (target ≥ 0.8).',
      'The series are created by a warm-up write; each side then writes new timestamps into them, so InfluxDB does the same work for both.',
    ],
  };
}
