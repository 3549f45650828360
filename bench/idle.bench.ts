// Idle footprint (issue 2): the agent on the default config (config/agent.yaml: host, flink_rest,
// flink_prometheus, flink_logs → file sink) for IDLE_SECONDS (default 60) after a warm-up; RSS and CPU from /proc.
// Targets: RSS under 64 MB, CPU under 0.5% of one core. Whether a local Flink answers is noted: the same
// config then scrapes a live cluster's reporters (a few hundred series per 15 s), which is part of "idle" too.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentProcess, freePort, REPO_ROOT } from '../test/e2e/harness';
import type { BenchResult } from './types';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** Private anonymous memory (heap, stacks, buffers): RSS less the file-backed pages of the node binary and libraries. */
function anonBytes(pid: number): number {
  const m = /^Pss_Anon:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime
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
    const t0 = cpuTicks(pid);
    const started = Date.now();
    let maxRss = 0;
    let maxAnon = 0;
    let sumRss = 0;
    let n = 0;
    while (Date.now() - started < seconds * 1000) {
      await new Promise((r) => setTimeout(r, 1000));
      const rss = agent.rss();
      maxRss = Math.max(maxRss, rss);
      maxAnon = Math.max(maxAnon, anonBytes(pid));
      sumRss += rss;
      n++;
    }
    const cpuSeconds = (cpuTicks(pid) - t0) / TICKS_PER_SECOND;
    const wall = (Date.now() - started) / 1000;
    return {
      name: 'idle',
      metrics: {
        rss_mb_max: maxRss / 1048576,
        rss_mb_avg: sumRss / n / 1048576,
        anon_mb_max: maxAnon / 1048576,
        cpu_percent_of_one_core: (cpuSeconds / wall) * 100,
        rss_target_mb: 64,
        cpu_target_percent: 0.5,
      },
      notes: [
        'anon = private anonymous memory (Pss_Anon): RSS less the file-backed pages of the node binary (code, snapshot, ICU data), which are shared and evictable',
        `default config for ${seconds}s after a 20s warm-up; local Flink ${flinkUp ? 'answering (its reporters and REST API were scraped)' : 'not running (Flink sources retrying)'}`,
      ],
    };
  } finally {
    await agent.terminate();
  }
}
