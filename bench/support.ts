// Helpers the benches share: a bounded pool of concurrent workers, a wall/CPU stopwatch, another process's CPU
// time (and a service's pid to read it from), a full GC before a clock starts, sender and receiver pinned to
// cores of their own (a diagnostic), and a component context that records nothing (benches measure the
// component, not its logging or metrics).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import pino from 'pino';
import type { ComponentContext } from '../src/component';
import { SampleRows } from '../src/sources/flink-prometheus/sample-rows';
import type { ScrapeMemo } from '../src/sources/flink-prometheus/scrape-memo';
import type { SeriesBook } from '../src/sources/flink-prometheus/series-book';

/** A ComponentContext with a silent logger and no-op metrics and status. */
export function silentContext(dataDir = '/nonexistent'): ComponentContext {
  return {
    name: 'bench',
    agent: { cluster: 'c1', node: 'n1', labels: {}, dataDir },
    logger: pino({ level: 'silent' }),
    metrics: { counter: () => ({ inc: () => undefined }), gauge: () => ({ set: () => undefined }) },
    status: { error: () => undefined, ok: () => undefined },
  };
}

setFlagsFromString('--expose-gc');
/** V8's `gc()`, reachable without starting node with --expose-gc (the flag above applies to new contexts). */
const fullGc = runInNewContext('gc') as () => void;

/**
 * A full collection before a clock starts. A bench builds its input (hundreds of thousands of records) just
 * before timing a side; without this, promoting and marking that input lands inside whichever side runs next.
 */
export function settleHeap(): void {
  fullGc();
}

/** Runs `fn(0) … fn(count - 1)` with at most `concurrency` in flight. */
export async function inPool(count: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await fn(next++);
    }),
  );
}

/** Runs `body` and returns wall seconds and this process's CPU seconds (user + system). */
export async function measure(body: () => Promise<void>): Promise<{ wall: number; cpu: number }> {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await body();
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1e6 };
}

/** Linux USER_HZ: /proc/<pid>/stat times are in 1/100 s on every mainstream kernel config. */
const CLOCK_TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) another process has used so far, from /proc/<pid>/stat. */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // After the command name in parentheses; utime and stime are fields 14 and 15 of the full line.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** Runs `body` and returns its result with the CPU seconds process `pid` (a server under test) spent meanwhile. */
export async function withProcessCpu<T>(pid: number, body: () => Promise<T>): Promise<{ result: T; cpu: number }> {
  const before = processCpuSeconds(pid);
  const result = await body();
  return { result, cpu: processCpuSeconds(pid) - before };
}

/** The pid of a service `scripts/env` started (its pid file under `<dataDir>/<service>/pids/main.pid`). */
export function servicePid(dataDir: string, service: string): number {
  const file = join(dataDir, service, 'pids', 'main.pid');
  const { pid } = JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown };
  if (typeof pid !== 'number') throw new Error(`${file}: no pid`);
  return pid;
}

/** The CPU list a process may run on (`taskset -p`'s answer, e.g. `0,1` or `0-1`). */
function cpuList(pid: number): string {
  const out = execFileSync('taskset', ['-pc', String(pid)], { encoding: 'utf8' });
  return out.slice(out.lastIndexOf(':') + 1).trim();
}

function pin(pid: number, cpus: string): void {
  execFileSync('taskset', ['-a', '-pc', cpus, String(pid)], { stdio: 'ignore' });
}

/**
 * Runs `body` with this process on CPU 0 and process `receiverPid` (a server under test) on CPU 1, every thread of
 * each, then gives both their CPUs back. A diagnostic, not the measurement: it stands for a receiver on a machine
 * of its own (the usual case for Mimir, M3, VictoriaMetrics, InfluxDB), so a ratio taken this way says whether the
 * agent keeps up with the receiver when the two do not compete for the same cores.
 */
export async function withCoresApart<T>(receiverPid: number, body: () => Promise<T>): Promise<T> {
  const own = cpuList(process.pid);
  const theirs = cpuList(receiverPid);
  pin(process.pid, '0');
  pin(receiverPid, '1');
  try {
    return await body();
  } finally {
    pin(process.pid, own);
    pin(receiverPid, theirs);
  }
}

/** What flink_prometheus does with one target's page in a round: read through its memo, then its series book. */
export function scrapeRound(memo: ScrapeMemo, book: SeriesBook, body: Buffer): number {
  const now = Date.now();
  const read = memo.read(body, false, now);
  const rows = new SampleRows(read.samples.length);
  book.begin();
  book.addPage(read.series, read.samples, rows, () => true);
  book.sweep(now, rows, () => undefined);
  return rows.done().length;
}
