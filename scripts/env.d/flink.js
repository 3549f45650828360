'use strict';
// Flink standalone session cluster (1 JobManager + 2 TaskManagers, separate JVMs) assembled from Maven Central
// jars, plus the TopSpeedWindowing job submitted over REST. Recipe: /work/shared/reference/flink-live.md.
const fs = require('node:fs');
const path = require('node:path');
const {
  DATA, CACHE, mkdirp, spawnDetached, writePid, readPid, listPids, stopPid, signal, procStart, httpGet, httpJson,
  waitReady, runLogged, render, ServiceError, log, flinkUser, hostName, sleep,
} = require('./core');
const { mavenArtifact, m2Repo } = require('./install');

const TM_COUNT = 2;
const JOB_NAME = 'CarTopSpeedWindowingExample';
const FD = path.join(DATA, 'flink');
const dirs = {
  conf: path.join(FD, 'conf'),
  log: path.join(FD, 'log'),
  ckpt: path.join(FD, 'ckpt'),
  tmp: path.join(FD, 'tmp'),
  plugins: path.join(FD, 'plugins'),
  state: path.join(FD, 'state.json'),
};

/** Jar versions that exist on Central next to each cluster version (the reporter and example lag behind). */
function versionsFor(v) {
  const is1 = v.startsWith('1.');
  return {
    flink: v,
    reporter: process.env.FLINK_REPORTER_VERSION || (is1 ? '1.20.3' : v),
    example: process.env.FLINK_EXAMPLE_VERSION || (is1 ? '1.20.0' : v),
    log4j: is1 ? '2.24.3' : '2.25.3',
  };
}

const rest = (s) => `http://${s.host}:${s.flinkRestPort}`;
const logName = (role, idx) => `flink-${flinkUser()}-${role === 'jm' ? 'standalonesession' : 'taskexecutor'}-${idx}-${hostName()}`;

function readState() {
  try {
    return JSON.parse(fs.readFileSync(dirs.state, 'utf8'));
  } catch {
    return {};
  }
}
function writeState(patch) {
  fs.writeFileSync(dirs.state, JSON.stringify({ ...readState(), ...patch }, null, 2) + '\n');
}

/** lib/ with the cluster's jars and the example job jar, built once per version and cached. */
async function assemble(s) {
  const v = versionsFor(s.flinkVersion);
  const home = mkdirp(path.join(CACHE, `flink-${v.flink}`));
  const lib = path.join(home, 'lib');
  if (!fs.existsSync(path.join(lib, '.complete'))) {
    log(`flink: resolving Flink ${v.flink} jars from Maven Central (reporter ${v.reporter}, log4j ${v.log4j})`);
    fs.writeFileSync(path.join(home, 'pom.xml'), render('flink-pom.xml', { FLINK_VERSION: v.flink, REPORTER_VERSION: v.reporter, LOG4J_VERSION: v.log4j }));
    fs.rmSync(lib, { recursive: true, force: true });
    await runLogged('mvn', ['-B', '-q', `-Dmaven.repo.local=${m2Repo()}`, '-f', path.join(home, 'pom.xml'), 'dependency:copy-dependencies', `-DoutputDirectory=${lib}`, '-DincludeScope=runtime'], path.join(home, 'maven.log'))
      .catch((e) => {
        throw new ServiceError('flink', `jar download failed: ${e.message}`, path.join(home, 'maven.log'));
      });
    fs.writeFileSync(path.join(lib, '.complete'), new Date().toISOString() + '\n');
    log(`flink: ${fs.readdirSync(lib).filter((f) => f.endsWith('.jar')).length} jars in ${lib}`);
  }
  const jobJar = await mavenArtifact('org.apache.flink', 'flink-examples-streaming', v.example, { classifier: 'TopSpeedWindowing' });
  return { lib, jobJar };
}

function writeConf(s) {
  for (const d of [dirs.conf, dirs.log, dirs.ckpt, dirs.tmp, dirs.plugins]) mkdirp(d);
  fs.writeFileSync(
    path.join(dirs.conf, 'config.yaml'),
    render('flink-config.yaml', {
      RPC_PORT: s.flinkRpcPort, REST_PORT: s.flinkRestPort, REPORTER_PORTS: s.flinkReporterPorts.join('-'),
      CKPT_DIR: dirs.ckpt, TMP_DIR: dirs.tmp,
    }),
  );
  fs.copyFileSync(path.join(__dirname, 'log4j.properties'), path.join(dirs.conf, 'log4j.properties'));
}

/** flink-daemon.sh rotates the previous stdout file (x.out -> x.out.1 -> … x.out.10) before each start. */
function rotate(file, max = Number(process.env.MAX_LOG_FILE_NUMBER || 10)) {
  if (!fs.existsSync(file)) return;
  for (let n = max - 1; n >= 1; n--) if (fs.existsSync(`${file}.${n}`)) fs.renameSync(`${file}.${n}`, `${file}.${n + 1}`);
  fs.renameSync(file, `${file}.1`);
}

function launch(role, idx, lib) {
  const proc = role === 'jm' ? 'jm' : `tm${idx}`;
  const out = path.join(dirs.log, `${logName(role, idx)}.out`);
  rotate(out);
  const pid = spawnDetached('bash', [path.join(__dirname, 'flink-launch.sh'), role, String(idx)], {
    logFile: out,
    cwd: FD,
    env: {
      FLINK_LIB: lib, FLINK_CONF: dirs.conf, FLINK_LOG_DIR: dirs.log, FLINK_TMP: dirs.tmp, FLINK_PLUGINS_DIR: dirs.plugins,
      FLINK_IDENT: flinkUser(), FLINK_HOSTNAME: hostName(),
    },
  });
  return writePid('flink', proc, pid, { role, index: idx });
}

const overview = async (s) => {
  const r = await httpGet(`${rest(s)}/overview`, 2000);
  return r.status === 200 ? JSON.parse(r.body) : null;
};
const taskManagerIds = async (s) => ((await httpJson('GET', `${rest(s)}/taskmanagers`)).taskmanagers || []).map((t) => t.id);

/** The JobManager's job list (empty when it does not answer). */
async function jobsOverview(s) {
  const r = await httpGet(`${rest(s)}/jobs/overview`, 3000);
  return r.status === 200 ? JSON.parse(r.body).jobs : [];
}

async function runningJobId(s) {
  const jobs = (await jobsOverview(s)).filter((j) => j.state === 'RUNNING').sort((a, b) => b['start-time'] - a['start-time']);
  return jobs.length ? jobs[0].jid : null;
}

/** Whether a job is on its way (back) to RUNNING: created, initializing, restarting or reconciling. */
async function jobOnItsWay(s) {
  return (await jobsOverview(s)).some((j) => ['CREATED', 'INITIALIZING', 'RESTARTING', 'RECONCILING'].includes(j.state));
}

/** Starts TaskManager `idx` and waits until the JobManager lists a TaskManager it did not list before. */
async function startTaskManager(s, idx, lib) {
  const before = new Set(await taskManagerIds(s));
  const rec = launch('tm', idx, lib);
  const logFile = path.join(dirs.log, `${logName('tm', idx)}.log`);
  await waitReady('flink', async () => (await taskManagerIds(s)).some((id) => !before.has(id)), {
    deadlineMs: 120000, pidRecs: [rec], logFile, what: `registered (TaskManager ${idx})`,
  });
  return rec;
}

/**
 * Uploads the example jar and runs it. `flinkConfiguration` goes into the job's configuration (REST run body),
 * e.g. { 'execution.checkpointing.timeout': '10ms' } to make every checkpoint expire.
 */
async function submitJob(s, { flinkConfiguration } = {}) {
  const { jobJar } = await assemble(s);
  const form = new FormData();
  form.append('jarfile', new Blob([fs.readFileSync(jobJar)], { type: 'application/java-archive' }), path.basename(jobJar));
  const up = await httpJson('POST', `${rest(s)}/jars/upload`, form);
  const jarId = path.basename(up.filename);
  const body = flinkConfiguration ? { flinkConfiguration } : {};
  const res = await httpJson('POST', `${rest(s)}/jars/${jarId}/run`, body, 120000);
  const jobId = res.jobid;
  await waitReady('flink', async () => {
    const j = await httpJson('GET', `${rest(s)}/jobs/${jobId}`);
    return j.state === 'RUNNING' && j.vertices.every((v) => v.status === 'RUNNING');
  }, { deadlineMs: 120000, logFile: path.join(dirs.log, `${logName('jm', 0)}.log`), what: `running job ${jobId}` });
  writeState({ jobId });
  return jobId;
}

async function cancelJob(s, jobId) {
  const id = jobId || (await runningJobId(s));
  if (!id) return null;
  await httpJson('PATCH', `${rest(s)}/jobs/${id}?mode=cancel`);
  await waitReady('flink', async () => (await httpJson('GET', `${rest(s)}/jobs/${id}`)).state === 'CANCELED', {
    deadlineMs: 60000, what: `cancelled (job ${id})`,
  });
  return id;
}

/** SIGKILL TaskManager `idx` (as a crash would) and start it again. */
async function restartTaskManager(s, idx) {
  const rec = readPid('flink', `tm${idx}`);
  if (!rec) throw new Error(`TaskManager ${idx} is not running under scripts/env`);
  signal(rec.pid, 'SIGKILL');
  while (procStart(rec.pid) === rec.start) await sleep(50);
  const { lib } = await assemble(s);
  const fresh = await startTaskManager(s, idx, lib);
  return { killedPid: rec.pid, pid: fresh.pid };
}

/** TCP ports a process listens on, from its socket inodes matched against /proc/net/tcp{,6}. */
function listeningPorts(pid) {
  const inodes = new Set();
  let fds = [];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  for (const fd of fds) {
    let target = '';
    try {
      target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed meanwhile
    }
    const m = /^socket:\[(\d+)\]$/.exec(target);
    if (m) inodes.add(m[1]);
  }
  const ports = new Set();
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of fs.readFileSync(f, 'utf8').split('\n').slice(1)) {
      const c = line.trim().split(/\s+/);
      if (c[3] === '0A' && inodes.has(c[9])) ports.add(parseInt(c[1].split(':').pop(), 16));
    }
  }
  return [...ports].sort((a, b) => a - b);
}

/** Which reporter port each of our Flink processes took (they pick the next free one in the range). */
function reporterPorts(s) {
  const [lo, hi] = s.flinkReporterPorts;
  const pick = (rec) => (rec ? listeningPorts(rec.pid).find((p) => p >= lo && p <= hi) || null : null);
  const taskmanagers = [];
  for (let i = 0; i < TM_COUNT; i++) taskmanagers.push(pick(readPid('flink', `tm${i}`)));
  return { jobmanager: pick(readPid('flink', 'jm')), taskmanagers };
}

const flink = {
  name: 'flink',
  endpoint: (s) => rest(s),
  logFile: () => path.join(dirs.log, `${logName('jm', 0)}.log`),
  /** The JobManager answers with the wanted version. TMs and the job are reconciled by ensure(). */
  async healthy(s) {
    const o = await overview(s);
    return !!o && o['flink-version'] === s.flinkVersion;
  },
  async answersOtherVersion(s) {
    const o = await overview(s);
    return o && o['flink-version'] !== s.flinkVersion ? o['flink-version'] : null;
  },
  async start(s) {
    const { lib } = await assemble(s);
    writeConf(s);
    writeState({ version: s.flinkVersion, jobId: null, user: flinkUser(), host: hostName() });
    log(`flink: starting JobManager (Flink ${s.flinkVersion})`);
    const jm = launch('jm', 0, lib);
    await waitReady('flink', () => this.healthy(s), { deadlineMs: 120000, pidRecs: [jm], logFile: this.logFile(), what: 'answering on REST' });
    await this.ensure(s);
  },
  /** Brings back missing TaskManagers and a running job; a no-op when all are there. */
  async ensure(s) {
    const { lib } = await assemble(s);
    const missing = [];
    for (let i = 0; i < TM_COUNT; i++) if (!readPid('flink', `tm${i}`)) missing.push(i);
    if (missing.length) {
      log(`flink: starting TaskManager(s) ${missing.join(', ')}`);
      await Promise.all(missing.map((i) => startTaskManager(s, i, lib)));
    }
    // A job that is restarting (a test killed a TaskManager) comes back by itself: wait for it rather than submit
    // a second one, which would restart along with it at the next kill and confuse tests that own a job.
    if (!(await runningJobId(s)) && (await jobOnItsWay(s))) {
      log('flink: waiting for the restarting job to run again');
      await waitReady('flink', () => runningJobId(s), { deadlineMs: 90000, what: 'running its job again' }).catch(() => null);
    }
    if (!(await runningJobId(s))) {
      log('flink: submitting TopSpeedWindowing');
      const id = await submitJob(s);
      log(`flink: job ${id} RUNNING`);
    }
  },
  /** TaskManagers first, so the JobManager does not spend the shutdown restarting the job. */
  async stop() {
    const recs = listPids('flink');
    await Promise.all(recs.filter((r) => r.proc !== 'jm').map((r) => stopPid(r.rec)));
    await Promise.all(recs.filter((r) => r.proc === 'jm').map((r) => stopPid(r.rec)));
  },
  async details(s) {
    const st = readState();
    return {
      version: s.flinkVersion, jobId: await runningJobId(s), user: flinkUser(), host: hostName(), logDir: dirs.log,
      checkpointDir: dirs.ckpt, reporterRange: s.flinkReporterPorts, reporterPorts: reporterPorts(s), lastSubmittedJobId: st.jobId || null,
    };
  },
  dirs,
  runningJobId,
  submitJob,
  cancelJob,
  restartTaskManager,
  readState,
  logName,
};

module.exports = { flink };
