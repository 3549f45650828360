// CPU anchors for issue 5: how much CPU does scraping a Flink TaskManager exposition and forwarding it by
// remote-write cost, per million samples, for Prometheus in agent mode, for vmagent, and for this agent. All
// three scrape the SAME expositions (a live Flink 1.20.5 TM exposition with a job running, saved once in
// test/fixtures, amplified by REPLICAS copies with a `replica` label whose value also names the target, so each
// of the TARGETS ports serves its own series, as distinct TaskManagers do; served by a separate process) every
// second into the same VictoriaMetrics, and all three run as their own process, as shipped: the agent is the
// built bin (`run`, the shebang's node flags) with a flink_prometheus source and a prometheus_remote_write sink on
// its default disk buffer, so its figure includes the source's shaping and stale tracking and the pipeline
// (Router, SinkRunner, DiskQueue). CPU = utime+stime from /proc/<pid>/stat over a fixed window after a warm-up;
// samples = GETs served × samples per page; RSS (and the agent's private part, RssAnon) sampled from
// /proc/<pid>/status every second of the window.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseExposition } from '../src/sources/flink-prometheus/parse';
import { ScrapeMemo } from '../src/sources/flink-prometheus/scrape-memo';
import { SeriesShaper } from '../src/sources/flink-prometheus/series';
import { SeriesBook } from '../src/sources/flink-prometheus/series-book';
import { AgentProcess, freePort, REPO_ROOT } from '../test/e2e/harness';
import { ensureServices } from '../test/setup/env';
import { processCpuSeconds, scrapeRound } from './support';
import type { BenchResult } from './types';

const REPLICAS = Number(process.env.BENCH_ANCHOR_REPLICAS ?? 10);
const TARGETS = Number(process.env.BENCH_ANCHOR_TARGETS ?? 4);
const WINDOW_S = Number(process.env.BENCH_ANCHOR_WINDOW_S ?? 20);
/** Only the agent (skip the two anchors): for quicker runs while working on the agent. */
const AGENT_ONLY = process.env.BENCH_ANCHOR_AGENT_ONLY === '1';
const WARMUP_S = 5;
const FIXTURE = 'tm-prom-with-job-1.20.5.txt';

/** Copies every sample line REPLICAS times with a `replica` label, keeping each family's lines together. */
function amplify(text: string, target: number): string {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) {
      out.push(line);
      continue;
    }
    for (let r = 0; r < REPLICAS; r++) {
      const brace = line.indexOf('{');
      const space = line.indexOf(' ');
      out.push(brace >= 0 && brace < space ? `${line.slice(0, brace + 1)}replica="${target}_${r}",${line.slice(brace + 1)}` : `${line.slice(0, space)}{replica="${target}_${r}"}${line.slice(space)}`);
    }
  }
  return out.join('\n') + '\n';
}

/**
 * The exposition server runs in its own process so its CPU is nobody's. Serves file `<argv[1]>-<i>.txt` on its
 * i-th port, plus one more port for /count (GETs served); prints its ports.
 */
const SERVER = `
const http = require('node:http');
let gets = 0; const ports = [];
const n = Number(process.argv[2]);
(async () => { for (let i = 0; i <= n; i++) { const body = i < n ? require('node:fs').readFileSync(process.argv[1] + '-' + i + '.txt') : '';
  const s = http.createServer((req, res) => {
  if (req.url === '/count') return res.end(String(gets));
  gets++; res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }); res.end(body); });
  await new Promise((r) => s.listen(0, '127.0.0.1', r)); ports.push(s.address().port); }
  console.log(JSON.stringify(ports)); })();`;

/** Resident memory in MB: all of it (VmRSS), and the process's own part (RssAnon, without mapped files). */
function rssMb(pid: number): { all: number; private: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  return { all: kb('VmRSS') / 1024, private: kb('RssAnon') / 1024 };
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

interface Measured {
  cpu: number;
  gets: number;
  rssMaxMb: number;
  privateMaxMb: number;
}

/** Watches a scraper process for WARMUP+WINDOW seconds: its CPU and the GETs served in the window, RSS max. */
async function measureProcess(pid: number, exited: () => boolean, countUrl: string): Promise<Measured> {
  await sleep(WARMUP_S * 1000);
  if (exited()) throw new Error('scraper exited early');
  const cpu0 = processCpuSeconds(pid);
  const g0 = await gets(countUrl);
  let rssMaxMb = 0;
  let privateMaxMb = 0;
  for (let s = 0; s < WINDOW_S; s++) {
    await sleep(1000);
    const rss = rssMb(pid);
    rssMaxMb = Math.max(rssMaxMb, rss.all);
    privateMaxMb = Math.max(privateMaxMb, rss.private);
  }
  const cpu1 = processCpuSeconds(pid);
  const g1 = await gets(countUrl);
  return { cpu: cpu1 - cpu0, gets: g1 - g0, rssMaxMb, privateMaxMb };
}

async function measureChild(child: ChildProcess, countUrl: string): Promise<Measured> {
  try {
    return await measureProcess(child.pid!, () => child.exitCode !== null, countUrl);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
  }
}

/**
 * CPU per million samples, in this process, of what the source does with one page: parseExposition alone (a
 * first scrape) and a steady scrape through ScrapeMemo (the page's series recognised, values read, assembled).
 */
function sourceFloor(page: string): { parse: number; steady: number } {
  const shaper = new SeriesShaper({ dropLabels: ['task_attempt_id', 'task_attempt_num'], include: [], exclude: [], base: { cluster: 'c', node: 'n' } });
  const memo = new ScrapeMemo(shaper);
  const book = new SeriesBook();
  const body = Buffer.from(page);
  const steady = () => scrapeRound(memo, book, body);
  const perSample = (fn: () => number): number => {
    for (let r = 0; r < 5; r++) fn(); // JIT warm-up
    const c0 = process.cpuUsage();
    let n = 0;
    for (let r = 0; r < 20; r++) n += fn();
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / n;
  };
  return { parse: perSample(() => parseExposition(page).samples.length), steady: perSample(steady) };
}

export async function run(): Promise<BenchResult> {
  const env = await ensureServices(['victoriametrics']);
  const dir = mkdtempSync(join(tmpdir(), 'fta-anchors-'));
  const fixture = readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'prometheus', FIXTURE), 'utf8');
  const pages = Array.from({ length: TARGETS }, (_, t) => amplify(fixture, t));
  const perPage = parseExposition(pages[0]!).samples.length;
  pages.forEach((page, t) => writeFileSync(join(dir, `tm-${t}.txt`), page));
  const server = spawn(process.execPath, ['-e', SERVER, join(dir, 'tm'), String(TARGETS)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const ports = await new Promise<number[]>((resolve) => server.stdout!.once('data', (d: Buffer) => resolve(JSON.parse(d.toString()) as number[])));
  const countUrl = `http://127.0.0.1:${ports.pop()}/count`;
  const targets = ports.map((p) => `127.0.0.1:${p}`);
  const remote = `${env.victoriametrics}/api/v1/write`;
  const suffix = Math.random().toString(36).slice(2, 8);
  const metrics: Record<string, number> = { samples_per_page: perPage, targets: TARGETS };
  const perMillion = (m: Measured) => (m.cpu / (m.gets * perPage)) * 1e6;
  try {
    const scrape = (job: string) => `global: {scrape_interval: 1s, scrape_timeout: 1s}\nscrape_configs:\n  - job_name: ${job}\n    static_configs: [{targets: ${JSON.stringify(targets)}}]\n`;

    if (!AGENT_ONLY) {
      // Prometheus agent mode (Debian prometheus 2.42).
      const promJob = `anchor_prom_${suffix}`;
      writeFileSync(join(dir, 'prom.yml'), scrape(promJob) + `remote_write:\n  - url: ${remote}\n`);
      const prom = spawn('prometheus', ['--enable-feature=agent', `--config.file=${join(dir, 'prom.yml')}`, `--storage.agent.path=${join(dir, 'prom-wal')}`, `--web.listen-address=127.0.0.1:${await freePort()}`], { stdio: 'ignore' });
      const p = await measureChild(prom, countUrl);
      metrics.prometheus_agent_cpu_s_per_million = perMillion(p);
      metrics.prometheus_agent_rss_mb_max = p.rssMaxMb;
      metrics.prometheus_agent_series_forwarded = await forwardedSeries(env.victoriametrics, promJob);

      // vmagent (Debian victoria-metrics package).
      const vmJob = `anchor_vmagent_${suffix}`;
      writeFileSync(join(dir, 'vmagent.yml'), scrape(vmJob));
      const vmagent = spawn('vmagent', [`-promscrape.config=${join(dir, 'vmagent.yml')}`, `-remoteWrite.url=${remote}`, `-remoteWrite.tmpDataPath=${join(dir, 'vmagent-q')}`, `-httpListenAddr=127.0.0.1:${await freePort()}`], { stdio: 'ignore' });
      const v = await measureChild(vmagent, countUrl);
      metrics.vmagent_cpu_s_per_million = perMillion(v);
      metrics.vmagent_rss_mb_max = v.rssMaxMb;
      metrics.vmagent_series_forwarded = await forwardedSeries(env.victoriametrics, vmJob);
    }

    // This agent, as shipped: its own process, production defaults (disk buffer, batch of 1000, 2 in flight).
    const agentJob = `anchor_fta_${suffix}`;
    const httpPort = await freePort();
    writeFileSync(
      join(dir, 'agent.yaml'),
      `agent: { data_dir: ${dir}/agent-data, http: { listen: "127.0.0.1:${httpPort}" }, log: { format: json } }
sources:
  prom: { type: flink_prometheus, interval: 1s, scan: false, urls: ${JSON.stringify(targets.map((t) => `http://${t}/metrics`))}, labels: { job: ${agentJob} } }
sinks:
  vm: { type: prometheus_remote_write, inputs: [prom], url: ${remote} }
`,
    );
    const agent = new AgentProcess(join(dir, 'agent.yaml'), join(dir, 'agent.out'), httpPort);
    agent.start();
    let a: Measured;
    try {
      await agent.waitHealthy();
      a = await measureProcess(agent.pid!, () => false, countUrl);
    } finally {
      const code = await agent.terminate();
      if (code !== 0) process.stderr.write(`agent exited with ${code}:\n${agent.tail()}\n`);
    }
    metrics.agent_cpu_s_per_million = perMillion(a);
    metrics.agent_rss_mb_max = a.rssMaxMb;
    metrics.agent_rss_private_mb_max = a.privateMaxMb;
    metrics.agent_series_forwarded = await forwardedSeries(env.victoriametrics, agentJob);
    const floor = sourceFloor(pages[0]!);
    metrics.parse_only_cpu_s_per_million = floor.parse;
    metrics.steady_scrape_cpu_s_per_million = floor.steady;
    if (!AGENT_ONLY) {
      metrics.agent_vs_prometheus_agent_cpu_ratio = metrics.agent_cpu_s_per_million / metrics.prometheus_agent_cpu_s_per_million!;
      metrics.agent_vs_vmagent_cpu_ratio = metrics.agent_cpu_s_per_million / metrics.vmagent_cpu_s_per_million!;
    }
  } finally {
    server.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    name: 'anchors',
    metrics,
    notes: [
      `Flink TM exposition ${FIXTURE} ×${REPLICAS} replicas = ${perPage} samples per page, ${TARGETS} targets, 1 s interval, ${WINDOW_S} s window after ${WARMUP_S} s warm-up, remote-write to ${remote}.`,
      `Anchors: Debian prometheus 2.42 --enable-feature=agent and vmagent (victoria-metrics 1.79). Agent: dist/src/cli/main.js run with its shebang flags, flink_prometheus (scan: false, the same URLs) → prometheus_remote_write with its default disk buffer.`,
      'CPU of each process from /proc/<pid>/stat utime+stime over the window; µs per sample = CPU seconds per million samples. RSS max sampled every second of the window; rss_private = RssAnon (without the node binary and other mapped files).',
      'parse_only: parseExposition of the same page in the bench process (what a first scrape costs); steady_scrape: the source reading it again through ScrapeMemo + its SeriesBook (what every later scrape costs).',
      '*_series_forwarded = series VictoriaMetrics holds for that job (≈ samples_per_page × targets; the agent adds up/scrape_* per target and drops task_attempt_* by default).',
    ],
  };
}
