// Runs the real agent binary (dist/src/cli/main.js) as a child process, and writes Flink-layout log files at a
// steady rate, for the end-to-end tests: SIGKILL mid-stream, restarts, sink outages.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, openSync, closeSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import type { Endpoints } from '../setup/env';

export const REPO_ROOT = resolve(__dirname, '..', '..', '..');
const MAIN = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
/** The shipped launch line, the bin's `#!/usr/bin/env -S [NAME=value …] node [flags …]` shebang, so tests run it as shipped. */
const SHEBANG = /^#!\/usr\/bin\/env -S((?:\s+\w+=\S*)*)\s+node(.*)$/.exec(readFileSync(MAIN, 'utf8').split('\n', 1)[0]!);
if (!SHEBANG) throw new Error(`${MAIN}: the first line is not \`#!/usr/bin/env -S [NAME=value …] node …\``);
const words = (s: string | undefined): string[] => (s ?? '').trim().split(/\s+/).filter(Boolean);
export const LAUNCH_FLAGS = words(SHEBANG[2]);
/** The environment the shebang sets for node (glibc malloc tuning). */
export const LAUNCH_ENV: Record<string, string> = Object.fromEntries(words(SHEBANG[1]).map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]));
/** Extra node flags for the agent process only (profiling a bench: `--cpu-prof`, `--trace-gc`, `--require=…`). */
const EXTRA_FLAGS = words(process.env.FTA_AGENT_NODE_FLAGS);

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => ok(port));
    });
  });
}

export async function waitFor(what: string, cond: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 250): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The agent under test: `run --config FILE`, its output appended to `logFile`. */
export class AgentProcess {
  private child: ChildProcess | undefined;
  private exit: Promise<number | null> | undefined;

  constructor(
    private readonly configFile: string,
    private readonly logFile: string,
    private readonly httpPort: number,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    const fd = openSync(this.logFile, 'a');
    this.child = spawn(process.execPath, [...LAUNCH_FLAGS, ...EXTRA_FLAGS, MAIN, 'run', '--config', this.configFile], { cwd: REPO_ROOT, env: { ...process.env, ...LAUNCH_ENV }, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    const child = this.child;
    this.exit = new Promise((r) => child.once('exit', (code) => r(code)));
  }

  async waitHealthy(timeoutMs = 30_000): Promise<void> {
    await waitFor(`agent /healthz on ${this.httpPort} (log: ${this.logFile})`, async () => {
      if (this.child?.exitCode !== null && this.child?.exitCode !== undefined) throw new Error(`agent exited with ${this.child.exitCode}; see ${this.logFile}:\n${this.tail()}`);
      return fetch(`http://127.0.0.1:${this.httpPort}/healthz`).then((r) => r.ok, () => false);
    }, timeoutMs, 100);
  }

  async status(): Promise<{ components: Array<{ kind: string; name: string; state: string; lastError?: string; details?: Record<string, unknown> }> }> {
    return (await (await fetch(`http://127.0.0.1:${this.httpPort}/status`)).json()) as never;
  }

  async kill9(): Promise<void> {
    this.child?.kill('SIGKILL');
    await this.exit;
  }

  /** SIGTERM; resolves with the exit code. */
  async terminate(): Promise<number | null> {
    this.child?.kill('SIGTERM');
    return this.exit!;
  }

  signal(sig: NodeJS.Signals): void {
    this.child?.kill(sig);
  }

  /** Resident set size in bytes, from /proc. */
  rss(): number {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.child!.pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  }

  tail(lines = 30): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }
}

/** Drops what an e2e run stored under its own name: the `<run>-logs-*` indices and the `<run>` schema. */
export async function removeRunData(env: Endpoints, run: string): Promise<void> {
  await fetch(`${env.opensearch}/${run}-logs-*`, { method: 'DELETE' }).catch(() => undefined);
  const c = new Client(env.postgres);
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS ${run} CASCADE`).catch(() => undefined);
  await c.end();
}

function stamp(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())},${p(d.getMilliseconds(), 3)}`;
}

/**
 * Appends numbered records in Flink's log4j2 layout: every 25th is an ERROR with a joined stack trace (header,
 * frames, Caused by). `rotateAt` renames the file to `.1` after that record, as log4j2's size policy does.
 */
export class FlinkLogWriter {
  written = 0;
  private timer: NodeJS.Timeout | undefined;
  private done!: () => void;
  readonly finished: Promise<void> = new Promise((r) => (this.done = r));

  constructor(
    readonly file: string,
    readonly total: number,
    readonly perTick: number,
    readonly runId: string,
    readonly rotateAt?: number,
  ) {}

  /** The message of record `i` (1-based): what the sinks must each hold exactly once. */
  message(i: number): string {
    return i % 25 === 0 ? `Task failed in e2e ${this.runId} record ${i}` : `e2e ${this.runId} record ${i} processed`;
  }

  private record(i: number): string {
    const head = `${stamp(new Date())} ${i % 25 === 0 ? 'ERROR' : 'INFO '} ${'org.apache.flink.e2e.RecordWriter'.padEnd(60)} [] - ${this.message(i)}\n`;
    if (i % 25 !== 0) return head;
    return (
      head +
      `java.lang.IllegalStateException: e2e failure ${i}\n\tat org.apache.flink.e2e.RecordWriter.write(RecordWriter.java:42)\n` +
      `\tat org.apache.flink.streaming.runtime.tasks.StreamTask.invoke(StreamTask.java:751)\n` +
      `Caused by: java.io.IOException: disk said no ${i}\n\t... 2 more\n`
    );
  }

  start(everyMs: number): void {
    closeSync(openSync(this.file, 'a'));
    this.timer = setInterval(() => {
      let chunk = '';
      for (let k = 0; k < this.perTick && this.written < this.total; k++) {
        chunk += this.record(++this.written);
        if (this.written === this.rotateAt) break;
      }
      if (chunk) appendFileSync(this.file, chunk);
      if (this.written === this.rotateAt) {
        renameSync(this.file, `${this.file}.1`);
        const fd = openSync(this.file, 'a');
        writeSync(fd, '');
        closeSync(fd);
      }
      if (this.written >= this.total) {
        clearInterval(this.timer);
        this.done();
      }
    }, everyMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.done();
  }
}
