// CPU anchors for issue 5: how much CPU does scraping a Flink TaskManager exposition and forwarding it by
// remote-write cost, per million samples, for Prometheus in agent mode, for vmagent, and for this agent's path
// (HTTP GET + flink-prometheus parseExposition + prometheus_remote_write sink). All three scrape the SAME
// exposition (a live Flink TM exposition saved once, amplified by REPLICAS copies with a `replica` label, served by
// a separate process on TARGETS ports) every second into the same VictoriaMetrics. The anchors' CPU comes from
// /proc/<pid>/stat (utime+stime) over a fixed window after a warm-up; samples = GETs served × samples per page.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Sample } from '../src/model';
import { parseExposition } from '../src/sources/flink-prometheus/parse';
import { remoteWriteSink } from '../src/sinks/prometheus-remote-write';
import { remoteWriteSchema } from '../src/sinks/prometheus-remote-write/schema';
import { testContext } from '../test/sinks/prometheus-remote-write.fixtures';
import { ensureServices } from '../test/setup/env';
import type { BenchResult } from './types';

const REPLICAS = Number(process.env.BENCH_ANCHOR_REPLICAS ?? 10);
const TARGETS = Number(process.env.BENCH_ANCHOR_TARGETS ?? 4);
const WINDOW_S = Number(process.env.BENCH_ANCHOR_WINDOW_S ?? 20);
const WARMUP_S = 5;
const CLK_TCK = 100; // Linux USER_HZ: /proc/<pid>/stat times are in 1/100 s on every mainstream kernel config
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Copies every sample line REPLICAS times with a `replica` label, keeping each family's lines together. */
function amplify(text: string): string {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) {
      out.push(line);
      continue;
    }
    for (let r = 0; r < REPLICAS; r++) {
      const brace = line.indexOf('{');
      const space = line.indexOf(' ');
      out.push(brace >= 0 && brace < space ? `${line.slice(0, brace + 1)}replica="${r}",${line.slice(brace + 1)}` : `${line.slice(0, space)}{replica="${r}"}${line.slice(space)}`);
    }
  }
  return out.join('\n') + '\n';
}

/** The exposition server runs in its own process so its CPU is nobody's. Prints its ports, answers /count. */
const SERVER = `
const http = require('node:http'); const body = require('node:fs').readFileSync(process.argv[1]);
let gets = 0; const ports = [];
const n = Number(process.argv[2]);
(async () => { for (let i = 0; i <= n; i++) { const s = http.createServer((req, res) => {
  if (req.url === '/count') return res.end(String(gets));
  gets++; res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }); res.end(body); });
  await new Promise((r) => s.listen(0, '127.0.0.1', r)); ports.push(s.address().port); }
  console.log(JSON.stringify(ports)); })();`;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime, stime (fields 14 and 15 of the full line)
}

async function gets(countUrl: string): Promise<number> {
  return Number(await (await fetch(countUrl)).text());
}

async function forwardedSeries(vm: string, job: string): Promise<number> {
  await fetch(`${vm}/internal/force_flush`).catch(() => undefined);
  const r = (await (await fetch(`${vm}/api/v1/query?query=${encodeURIComponent(`count({job="${job}"})`)}&nocache=1&latency_offset=0s`)).json()) as {
    data: { result: Array<{ value: [number, string] }> };
  };
  return Number(r.data.result[0]?.value[1] ?? 0);
}

/** Runs an external scraper for WARMUP+WINDOW seconds and returns its CPU seconds and the GETs in the window. */
async function measureProcess(child: ChildProcess, countUrl: string): Promise<{ cpu: number; gets: number }> {
  const pid = child.pid!;
  await sleep(WARMUP_S * 1000);
  if (child.exitCode !== null) throw new Error(`scraper exited early (code ${child.exitCode})`);
  const cpu0 = cpuSeconds(pid);
  const g0 = await gets(countUrl);
  await sleep(WINDOW_S * 1000);
  const cpu1 = cpuSeconds(pid);
  const g1 = await gets(countUrl);
  child.kill('SIGTERM');
  await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
  return { cpu: cpu1 - cpu0, gets: g1 - g0 };
}

export async function run(): Promise<BenchResult> {
  const env = await ensureServices(['flink', 'victoriametrics']);
  const tmPort = env.flinkReporters?.taskmanagers.find((p) => p !== null);
  if (!tmPort) throw new Error('no Flink TaskManager reporter port; start Flink with scripts/env up --only flink');
  const dir = mkdtempSync(join(tmpdir(), 'fta-anchors-'));
  const page = amplify(await (await fetch(`http://127.0.0.1:${tmPort}/metrics`)).text());
  const perPage = parseExposition(page).samples.length;
  writeFileSync(join(dir, 'tm.txt'), page);
  const server = spawn(process.execPath, ['-e', SERVER, join(dir, 'tm.txt'), String(TARGETS)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const ports = await new Promise<number[]>((resolve) => server.stdout!.once('data', (d: Buffer) => resolve(JSON.parse(d.toString()) as number[])));
  const countUrl = `http://127.0.0.1:${ports.pop()}/count`;
  const targets = ports.map((p) => `127.0.0.1:${p}`);
  const remote = `${env.victoriametrics}/api/v1/write`;
  const suffix = Math.random().toString(36).slice(2, 8);
  const metrics: Record<string, number> = { samples_per_page: perPage, targets: TARGETS };
  const notes: string[] = [];
  try {
    const scrape = (job: string) => `global: {scrape_interval: 1s, scrape_timeout: 1s}\nscrape_configs:\n  - job_name: ${job}\n    static_configs: [{targets: ${JSON.stringify(targets)}}]\n`;

    // Prometheus agent mode (Debian prometheus 2.42).
    const promJob = `anchor_prom_${suffix}`;
    writeFileSync(join(dir, 'prom.yml'), scrape(promJob) + `remote_write:\n  - url: ${remote}\n`);
    const prom = spawn('prometheus', ['--enable-feature=agent', `--config.file=${join(dir, 'prom.yml')}`, `--storage.agent.path=${join(dir, 'prom-wal')}`, `--web.listen-address=127.0.0.1:${await freePort()}`], { stdio: 'ignore' });
    const p = await measureProcess(prom, countUrl);
    metrics.prometheus_agent_cpu_s_per_million = (p.cpu / (p.gets * perPage)) * 1e6;
    metrics.prometheus_agent_series_forwarded = await forwardedSeries(env.victoriametrics, promJob);

    // vmagent (Debian victoria-metrics package).
    const vmJob = `anchor_vmagent_${suffix}`;
    writeFileSync(join(dir, 'vmagent.yml'), scrape(vmJob));
    const vmagent = spawn('vmagent', [`-promscrape.config=${join(dir, 'vmagent.yml')}`, `-remoteWrite.url=${remote}`, `-remoteWrite.tmpDataPath=${join(dir, 'vmagent-q')}`, `-httpListenAddr=127.0.0.1:${await freePort()}`], { stdio: 'ignore' });
    const v = await measureProcess(vmagent, countUrl);
    metrics.vmagent_cpu_s_per_million = (v.cpu / (v.gets * perPage)) * 1e6;
    metrics.vmagent_series_forwarded = await forwardedSeries(env.victoriametrics, vmJob);

    // This agent: GET + parseExposition + remote-write sink, in this process, same schedule.
    const agentJob = `anchor_fta_${suffix}`;
    const sink = remoteWriteSink.create(remoteWriteSchema.parse({ type: 'prometheus_remote_write', url: remote, inputs: ['b'] }), testContext('anchor'));
    const signal = new AbortController().signal;
    let parseMicros = 0; // parse is synchronous, so cpuUsage around it is exact even with targets in parallel
    const scrapeOnce = async (target: string) => {
      const text = await (await fetch(`http://${target}/metrics`)).text();
      const now = Date.now();
      const p0 = process.cpuUsage();
      const parsed = parseExposition(text);
      const p1 = process.cpuUsage(p0);
      parseMicros += p1.user + p1.system;
      const samples: Sample[] = parsed.samples.map((s) => ({
        kind: 'sample', name: s.name, labels: { ...s.labels, job: agentJob, instance: target }, value: s.value, timestampMs: s.timestampMs ?? now,
      }));
      for (let i = 0; i < samples.length; i += 2000) {
        const r = await sink.send(samples.slice(i, i + 2000), { signal, attempt: 1 });
        if (r.kind !== 'ok') throw new Error(`agent path: ${JSON.stringify(r)}`);
      }
    };
    const tick = () => Promise.all(targets.map(scrapeOnce));
    for (let s = 0; s < WARMUP_S; s++) await Promise.all([tick(), sleep(1000)]);
    const c0 = process.cpuUsage();
    parseMicros = 0;
    const g0 = await gets(countUrl);
    for (let s = 0; s < WINDOW_S; s++) await Promise.all([tick(), sleep(1000)]);
    const used = process.cpuUsage(c0);
    const g1 = await gets(countUrl);
    await sink.close?.();
    const scraped = (g1 - g0) * perPage;
    metrics.agent_cpu_s_per_million = (used.user + used.system) / scraped; // µs per sample = s per million
    metrics.agent_parse_cpu_s_per_million = parseMicros / scraped;
    metrics.agent_without_parse_cpu_s_per_million = (used.user + used.system - parseMicros) / scraped;
    metrics.agent_series_forwarded = await forwardedSeries(env.victoriametrics, agentJob);
    metrics.agent_vs_prometheus_agent_cpu_ratio = metrics.agent_cpu_s_per_million / metrics.prometheus_agent_cpu_s_per_million;
    metrics.agent_vs_vmagent_cpu_ratio = metrics.agent_cpu_s_per_million / metrics.vmagent_cpu_s_per_million;
    notes.push(
      `Flink TM exposition from :${tmPort} ×${REPLICAS} replicas = ${perPage} samples per page, ${TARGETS} targets, 1 s interval, ${WINDOW_S} s window after ${WARMUP_S} s warm-up, remote-write to ${remote}.`,
      'Anchors: Debian prometheus 2.42 --enable-feature=agent and vmagent (victoria-metrics 1.79), CPU from /proc/<pid>/stat utime+stime.',
      "Agent: fetch + flink-prometheus parseExposition + prometheus_remote_write send() in this process (process.cpuUsage); it does not include the SinkRunner's disk queue, so it is the scrape+sink path only. agent_parse_* is parseExposition alone; agent_without_parse_* is fetch + label merge + encode + snappy + POST.",
      'µs per sample = CPU seconds per million samples.',
      '*_series_forwarded = series VictoriaMetrics holds for that job (should equal samples_per_page × targets).',
    );
  } finally {
    server.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
  return { name: 'anchors', metrics, notes };
}
