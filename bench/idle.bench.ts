// Idle footprint (issue 2): the agent on the default config (config/agent.yaml: host, flink_rest,
// flink_prometheus, flink_logs → file sink) for IDLE_SECONDS (default 60) after a warm-up; RSS and CPU from /proc.
// Targets: RSS under 64 MB, CPU under 0.5% of one core. Whether a local Flink answers is noted: the same
// config then scrapes a live cluster's reporters (a few hundred series per 15 s), which is part of "idle" too.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentProcess, freePort, LAUNCH_ENV, LAUNCH_FLAGS, REPO_ROOT } from '../test/e2e/harness';
import { processCpuSeconds } from './support';
import type { BenchResult } from './types';

const MB = 1048576;

/** Where a process's resident pages are: the node executable's code and read-only data (file-backed, shared by every
 *  node process and evictable), and anonymous memory (heap, stacks, buffers: what the agent itself costs). */
interface MemoryBreakdown {
  rss: number;
  nodeCode: number;
  nodeData: number;
  anon: number;
}

function memoryBreakdown(pid: number): MemoryBreakdown {
  const out: MemoryBreakdown = { rss: 0, nodeCode: 0, nodeData: 0, anon: 0 };
  let mapping = '';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) mapping = line;
    else if (line.startsWith('Rss:')) {
      const bytes = Number(line.split(/\s+/)[1]) * 1024;
      out.rss += bytes;
      const path = mapping.split(/\s+/)[5] ?? '';
      if (path === process.execPath) {
        if (mapping.includes(' r-xp ')) out.nodeCode += bytes;
        else out.nodeData += bytes;
      } else if (!path.includes('/')) out.anon += bytes;
    }
  }
  return out;
}

/**
 * The floor the design's libraries set: a node process with the agent's launch flags that only loads them and
 * idles. Measured in the same run, so the agent's figure reads against what Node 24 itself costs here.
 */
async function baselineProcess(requires: string[]): Promise<MemoryBreakdown> {
  const code = requires.map((m) => `require(${JSON.stringify(m)});`).join('') + 'setInterval(() => {}, 1000);';
  const child = spawn(process.execPath, [...LAUNCH_FLAGS, '-e', code], { cwd: REPO_ROOT, env: { ...process.env, ...LAUNCH_ENV }, stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 5000));
    return memoryBreakdown(child.pid!);
  } finally {
    child.kill('SIGTERM');
  }
}


export async function run(): Promise<BenchResult> {
  const seconds = Number(process.env.IDLE_SECONDS ?? 60);
  const dir = mkdtempSync(join(tmpdir(), 'fta-idle-'));
  const port = await freePort();
  const base = readFileSync(join(REPO_ROOT, 'config', 'agent.yaml'), 'utf8');
  writeFileSync(join(dir, 'agent.yaml'), base.replace(/data_dir: .*/, `data_dir: ${dir}/data\n  http: { listen: "127.0.0.1:${port}" }`));
  const flinkUp = await fetch('http://localhost:8081/overview').then((r) => r.ok, () => false);
  const agent = new AgentProcess(join(dir, 'agent.yaml'), join(dir, 'agent.out'), port);
  agent.start();
  try {
    await agent.waitHealthy();
    await new Promise((r) => setTimeout(r, 20_000)); // warm-up: first rounds, JIT, lazy modules
    const pid = agent.pid!;
    const cpu0 = processCpuSeconds(pid);
    const started = Date.now();
    let max: MemoryBreakdown = { rss: 0, nodeCode: 0, nodeData: 0, anon: 0 };
    let sumRss = 0;
    let n = 0;
    while (Date.now() - started < seconds * 1000) {
      await new Promise((r) => setTimeout(r, 1000));
      const m = memoryBreakdown(pid);
      if (m.rss > max.rss) max = m;
      sumRss += m.rss;
      n++;
    }
    const cpuSeconds = processCpuSeconds(pid) - cpu0;
    const wall = (Date.now() - started) / 1000;
    const bare = await baselineProcess([]);
    const libraries = await baselineProcess(['pino', 'prom-client', 'zod', 'yaml', '@opentelemetry/api']);
    return {
      name: 'idle',
      metrics: {
        rss_mb_max: max.rss / MB,
        rss_mb_avg: sumRss / n / MB,
        node_code_mb_at_max: max.nodeCode / MB,
        node_data_mb_at_max: max.nodeData / MB,
        anon_mb_at_max: max.anon / MB,
        cpu_percent_of_one_core: (cpuSeconds / wall) * 100,
        bare_node_rss_mb: bare.rss / MB,
        bare_node_anon_mb: bare.anon / MB,
        node_with_libraries_rss_mb: libraries.rss / MB,
        node_with_libraries_anon_mb: libraries.anon / MB,
        rss_target_mb: 64,
        cpu_target_percent: 0.5,
      },
      notes: [
        'node_code/node_data = resident pages of the node executable (machine code; read-only data: built-in JS sources, snapshot, ICU), file-backed, shared by every node process and evictable; anon = heap, stacks, buffers',
        `bare_node = \`node ${LAUNCH_FLAGS.join(' ')} -e "setInterval(…)"\`; node_with_libraries = the same after requiring pino, prom-client, zod, yaml and @opentelemetry/api (the libraries the design names), both measured in this run`,
        `default config for ${seconds}s after a 20s warm-up; local Flink ${flinkUp ? 'answering (its reporters and REST API were scraped)' : 'not running (Flink sources retrying)'}`,
      ],
    };
  } finally {
    await agent.terminate();
  }
}
