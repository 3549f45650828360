// Real servers for integration tests. `ensureServices([...])` runs `scripts/env up --only <names> --json`
// (idempotent: a no-op when already up), waits for readiness and returns where each service listens. Services
// this process started are stopped by the root hook (root-hooks.ts) unless KEEP_ENV=1.
import { execFile } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';

export type ServiceName = 'flink' | 'opensearch' | 'influxdb' | 'prometheus' | 'victoriametrics' | 'postgres';

export interface FlinkReporterPorts {
  /** Prometheus reporter port the JobManager took, e.g. 9249 */
  jobmanager: number | null;
  /** Reporter port of TaskManager 0 and 1 (same order as the log file index) */
  taskmanagers: (number | null)[];
}

export interface Endpoints {
  /** JobManager REST, e.g. http://127.0.0.1:8081 */
  flinkRest: string;
  /** Prometheus reporter port range of the Flink processes, e.g. [9249, 9260] */
  flinkReporterPorts: [number, number];
  /** Folder with Flink's log files (flink-<user>-standalonesession-0-<host>.log, …) */
  flinkLogDir: string;
  opensearch: string; // http://127.0.0.1:9200
  influxdb: string; // http://127.0.0.1:8086
  prometheus: string; // http://127.0.0.1:9090
  victoriametrics: string; // http://127.0.0.1:8428
  postgres: { host: string; port: number; user: string; database: string };
  /** Flink version of the running cluster (FLINK_VERSION, default 1.20.5) */
  flinkVersion: string;
  /** The RUNNING TopSpeedWindowing job when flink was ensured, else null */
  flinkJobId: string | null;
  /** Reporter port each Flink process actually took (null when flink was not ensured) */
  flinkReporters: FlinkReporterPorts | null;
  /** `<user>` and `<host>` in Flink's log file names */
  flinkUser: string;
  flinkHost: string;
  /** Folder the cluster checkpoints into (execution.checkpointing.dir) */
  flinkCheckpointDir: string;
  /** Repository root, and .env-data/ where each service keeps its data and logs */
  repoRoot: string;
  dataDir: string;
}

/** dist/test/setup → repository root (tests run compiled from dist/). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const ENV_SCRIPT = path.join(REPO_ROOT, 'scripts', 'env');

interface ServiceState {
  state: string;
  flink?: {
    version: string;
    jobId: string | null;
    user: string;
    host: string;
    logDir: string;
    checkpointDir: string;
    reporterRange: [number, number];
    reporterPorts: FlinkReporterPorts;
  };
}
interface UpResult {
  ok: boolean;
  started: ServiceName[];
  failures: { service: string; error: string }[];
  services: Partial<Record<ServiceName, ServiceState>>;
  endpoints: { flink: string; opensearch: string; influxdb: string; prometheus: string; victoriametrics: string; postgres: Endpoints['postgres'] };
}

/** Runs scripts/env with the current Node; progress (stderr) goes to our stderr so a cold start is visible. */
export function runEnv(args: string[], timeoutMs = 15 * 60 * 1000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [ENV_SCRIPT, ...args], { cwd: REPO_ROOT, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`scripts/env ${args.join(' ')} failed (${err.message.split('\n')[0]}):\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
    child.stderr?.on('data', (d: Buffer) => {
      if (process.env.ENV_QUIET !== '1') process.stderr.write(d);
    });
  });
}

const started = new Set<ServiceName>();
const ensured = new Map<ServiceName, Promise<UpResult>>();
let chain: Promise<unknown> = Promise.resolve();

/** Services this process started (the root hook stops exactly these). */
export function startedByThisProcess(): ServiceName[] {
  return [...started];
}

function toEndpoints(r: UpResult, flinkState: ServiceState | undefined): Endpoints {
  const f = flinkState?.flink;
  return {
    flinkRest: r.endpoints.flink,
    flinkReporterPorts: f ? f.reporterRange : parseRange(process.env.FLINK_REPORTER_PORTS ?? '9249-9260'),
    flinkLogDir: f ? f.logDir : path.join(REPO_ROOT, '.env-data', 'flink', 'log'),
    opensearch: r.endpoints.opensearch,
    influxdb: r.endpoints.influxdb,
    prometheus: r.endpoints.prometheus,
    victoriametrics: r.endpoints.victoriametrics,
    postgres: r.endpoints.postgres,
    flinkVersion: f ? f.version : (process.env.FLINK_VERSION ?? '1.20.5'),
    flinkJobId: f ? f.jobId : null,
    flinkReporters: f ? f.reporterPorts : null,
    flinkUser: f ? f.user : os.userInfo().username,
    flinkHost: f ? f.host : os.hostname(),
    flinkCheckpointDir: f ? f.checkpointDir : path.join(REPO_ROOT, '.env-data', 'flink', 'ckpt'),
    repoRoot: REPO_ROOT,
    dataDir: path.join(REPO_ROOT, '.env-data'),
  };
}

function parseRange(v: string): [number, number] {
  const [a, b] = v.split('-').map(Number);
  return [a ?? 9249, b ?? a ?? 9260];
}

async function up(names: ServiceName[]): Promise<UpResult> {
  const out = await runEnv(['up', '--only', names.join(','), '--json']);
  const r = JSON.parse(out.trim().split('\n').pop() ?? '{}') as UpResult;
  for (const n of r.started ?? []) started.add(n);
  if (!r.ok) throw new Error(`scripts/env up failed: ${r.failures.map((f) => f.error).join('\n')}`);
  return r;
}

/**
 * Starts (if needed) and returns the endpoints of real servers on loopback. Memoized per process per service;
 * with 'flink' the returned flinkJobId is the job running now (refreshed by `refreshFlink()`).
 */
export async function ensureServices(names: ServiceName[]): Promise<Endpoints> {
  const missing = names.filter((n) => !ensured.has(n));
  if (missing.length) {
    // one `up` at a time from this process; several services in one call start in parallel inside scripts/env
    const p = chain.then(() => up(missing));
    chain = p.catch(() => undefined);
    for (const n of missing) ensured.set(n, p);
    p.catch(() => missing.forEach((n) => ensured.delete(n)));
  }
  const results = await Promise.all(names.map((n) => ensured.get(n)!));
  const last = results[results.length - 1] ?? (await up(names));
  const flinkState = names.includes('flink') ? results[names.indexOf('flink')]!.services.flink : undefined;
  return toEndpoints(last, flinkState);
}

/** Current Flink state (running job id, reporter ports) after a test restarted or resubmitted something. */
export async function flinkStatus(): Promise<Endpoints> {
  const r = JSON.parse(await runEnv(['status', '--only', 'flink', '--json'])) as UpResult;
  return toEndpoints({ ...r, ok: true, started: [], failures: [] }, r.services.flink);
}
