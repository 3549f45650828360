'use strict';
// Shared plumbing for scripts/env: paths, ports, pid files, detached processes, readiness polling, the lock.
// Plain CommonJS with no dependencies so it runs under the system Node 20 as well as .node24.
const fs = require('node:fs');
const path = require('node:path');
const os = require('node:os');
const net = require('node:net');
const { spawn, spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..', '..');
const DATA = path.join(ROOT, '.env-data');
const CACHE = process.env.ENV_CACHE_DIR || path.join(ROOT, '.cache', 'env');
const TEMPLATES = __dirname;

function envInt(name, def) {
  const v = process.env[name];
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0 || n > 65535) throw new Error(`${name}=${v} is not a port number`);
  return n;
}

function reporterRange() {
  const v = process.env.FLINK_REPORTER_PORTS || '9249-9260';
  const m = /^(\d+)-(\d+)$/.exec(v);
  if (!m || Number(m[1]) > Number(m[2])) throw new Error(`FLINK_REPORTER_PORTS=${v}: expected FROM-TO, e.g. 9249-9260`);
  return [Number(m[1]), Number(m[2])];
}

/** Every port and version knob, read once; docs/env.md lists them. */
function settings() {
  return {
    host: '127.0.0.1',
    opensearchPort: envInt('OPENSEARCH_PORT', 9200),
    opensearchTransportPort: envInt('OPENSEARCH_TRANSPORT_PORT', 9300),
    influxdbPort: envInt('INFLUXDB_PORT', 8086),
    influxdbRpcPort: envInt('INFLUXDB_RPC_PORT', 8088),
    prometheusPort: envInt('PROMETHEUS_PORT', 9090),
    victoriametricsPort: envInt('VICTORIAMETRICS_PORT', 8428),
    postgresPort: envInt('POSTGRES_PORT', 5432),
    flinkRestPort: envInt('FLINK_REST_PORT', 8081),
    flinkRpcPort: envInt('FLINK_RPC_PORT', 6123),
    flinkReporterPorts: reporterRange(),
    flinkVersion: process.env.FLINK_VERSION || '1.20.5',
    opensearchVersion: process.env.OPENSEARCH_VERSION || '2.19.6',
  };
}

const t0 = Date.now();
function log(msg) {
  process.stderr.write(`[env +${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}\n`);
}

function mkdirp(p, mode) {
  fs.mkdirSync(p, { recursive: true, mode });
  return p;
}
function serviceDir(name) {
  return mkdirp(path.join(DATA, name));
}

// ---- processes -------------------------------------------------------------------------------------------
/** Field 22 of /proc/<pid>/stat: the start time. Pid + start time identify a process even after pid reuse. */
function procStart(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return null; // zombie: already dead
    return fields[19];
  } catch {
    return null;
  }
}

function pidFile(service, proc) {
  return path.join(DATA, service, 'pids', `${proc}.pid`);
}
function writePid(service, proc, pid, extra = {}) {
  mkdirp(path.join(DATA, service, 'pids'));
  const rec = { pid, start: procStart(pid), startedAt: new Date().toISOString(), ...extra };
  fs.writeFileSync(pidFile(service, proc), JSON.stringify(rec) + '\n');
  return rec;
}
/** The pid record if that very process still runs, else null (and a stale file is removed). */
function readPid(service, proc) {
  const f = pidFile(service, proc);
  let rec;
  try {
    rec = JSON.parse(fs.readFileSync(f, 'utf8'));
  } catch {
    return null;
  }
  if (rec.pid && procStart(rec.pid) !== null && procStart(rec.pid) === rec.start) return rec;
  fs.rmSync(f, { force: true });
  return null;
}
function listPids(service) {
  const dir = path.join(DATA, service, 'pids');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.pid'))
    .map((f) => f.slice(0, -4))
    .map((proc) => ({ proc, rec: readPid(service, proc) }))
    .filter((x) => x.rec);
}

/**
 * Starts a long-lived process in its own session (setsid via detached) with stdout+stderr appended to logFile,
 * so it outlives this script and a kill of its process group reaches all its children.
 */
function spawnDetached(cmd, args, { cwd, env, logFile }) {
  const fd = fs.openSync(logFile, 'a');
  const child = spawn(cmd, args, { cwd: cwd || ROOT, env: { ...process.env, ...env }, detached: true, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  child.unref();
  if (!child.pid) throw new Error(`could not spawn ${cmd}`);
  return child.pid;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function signal(pid, sig) {
  try {
    process.kill(-pid, sig); // whole session/process group (we started it with setsid)
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      /* already gone */
    }
  }
}

/** SIGTERM (or `sig`), wait up to graceMs, then SIGKILL; resolves when the process is gone. */
async function stopPid(rec, { sig = 'SIGTERM', graceMs = 30000 } = {}) {
  const alive = () => procStart(rec.pid) !== null && procStart(rec.pid) === rec.start;
  if (!alive()) return;
  signal(rec.pid, sig);
  const deadline = Date.now() + graceMs;
  while (alive() && Date.now() < deadline) await sleep(100);
  if (alive()) {
    signal(rec.pid, 'SIGKILL');
    while (alive()) await sleep(50);
  }
}

function tail(file, lines = 25) {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log yet)';
  }
}

// ---- network ---------------------------------------------------------------------------------------------
function portOpen(port, host = '127.0.0.1', timeoutMs = 500) {
  return new Promise((resolve) => {
    const s = net.connect({ port, host });
    const done = (v) => {
      s.destroy();
      resolve(v);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

async function httpGet(url, timeoutMs = 2000) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return { status: res.status, body: await res.text() };
  } catch (e) {
    return { status: 0, body: String(e && e.message) };
  }
}

async function httpJson(method, url, body, timeoutMs = 30000) {
  const init = { method, signal: AbortSignal.timeout(timeoutMs), headers: {} };
  if (body !== undefined) {
    if (body instanceof FormData) init.body = body;
    else {
      init.body = JSON.stringify(body);
      init.headers['content-type'] = 'application/json';
    }
  }
  const res = await fetch(url, init);
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!res.ok) throw new Error(`${method} ${url} -> HTTP ${res.status}: ${text.slice(0, 500)}`);
  return json;
}

class ServiceError extends Error {
  constructor(service, reason, logFile) {
    super(`${service}: ${reason}${logFile ? `\n  log: ${logFile}\n  --- last lines ---\n${tail(logFile)}` : ''}`);
    this.service = service;
  }
}

/**
 * Polls `probe` until it returns a truthy value or the deadline passes. Fails fast when the process we
 * started has died, so a crash is reported at once with its log rather than after the whole deadline.
 */
async function waitReady(service, probe, { deadlineMs, pidRecs = [], logFile, what = 'ready' }) {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const v = await probe().catch(() => null);
    if (v) return v;
    for (const rec of pidRecs) {
      if (procStart(rec.pid) === null || procStart(rec.pid) !== rec.start)
        throw new ServiceError(service, `process ${rec.pid} exited before it was ${what}`, logFile);
    }
    if (Date.now() > deadline) throw new ServiceError(service, `not ${what} after ${Math.round(deadlineMs / 1000)} s`, logFile);
    await sleep(250);
  }
}

// ---- lock: one scripts/env mutating the machine at a time (tests of several people may run at once) ------
async function withLock(fn, { waitMs = 15 * 60 * 1000 } = {}) {
  mkdirp(DATA);
  const dir = path.join(DATA, '.lock');
  const deadline = Date.now() + waitMs;
  let announced = false;
  for (;;) {
    try {
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, 'owner'), JSON.stringify({ pid: process.pid, start: procStart(process.pid) }));
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      let owner = null;
      try {
        owner = JSON.parse(fs.readFileSync(path.join(dir, 'owner'), 'utf8'));
      } catch {
        /* being written right now, or left empty by a crash */
      }
      const ownerAlive = owner && procStart(owner.pid) !== null && procStart(owner.pid) === owner.start;
      const age = Date.now() - fs.statSync(dir, { throwIfNoEntry: false })?.mtimeMs;
      if ((owner && !ownerAlive) || (!owner && age > 10000)) {
        fs.rmSync(dir, { recursive: true, force: true });
        continue;
      }
      if (!announced) log(`waiting for another scripts/env (pid ${owner ? owner.pid : '?'}) to finish`);
      announced = true;
      if (Date.now() > deadline) throw new Error(`scripts/env: lock ${dir} still held by pid ${owner && owner.pid}`);
      await sleep(300);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...opts });
  return { ok: r.status === 0, code: r.status, out: (r.stdout || '') + (r.stderr || ''), stdout: r.stdout || '' };
}

/** Runs a command asynchronously (so sibling installs proceed in parallel), output to a log file. */
function runLogged(cmd, args, logFile, opts = {}) {
  return new Promise((resolve, reject) => {
    const fd = fs.openSync(logFile, 'a');
    fs.writeSync(fd, `\n$ ${cmd} ${args.join(' ')}\n`);
    const child = spawn(cmd, args, { stdio: ['ignore', fd, fd], ...opts });
    fs.closeSync(fd);
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited ${code} (see ${logFile})`))));
  });
}

function which(bin) {
  return run('sh', ['-c', `command -v ${bin}`]).stdout.trim() || null;
}

function render(templateName, vars) {
  let text = fs.readFileSync(path.join(TEMPLATES, templateName), 'utf8');
  for (const [k, v] of Object.entries(vars)) text = text.split(`@${k}@`).join(String(v));
  return text;
}

const flinkUser = () => os.userInfo().username;
const hostName = () => os.hostname();

module.exports = {
  ROOT, DATA, CACHE, settings, log, mkdirp, serviceDir, procStart, writePid, readPid, listPids,
  spawnDetached, stopPid, signal, sleep, tail, portOpen, httpGet, httpJson, ServiceError, waitReady, withLock,
  run, runLogged, which, render, flinkUser, hostName,
};
