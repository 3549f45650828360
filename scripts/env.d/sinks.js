'use strict';
// The sink servers: OpenSearch, InfluxDB 1.x, Prometheus, VictoriaMetrics, PostgreSQL. Each is independent, so
// scripts/env starts them in parallel. Every service object has the same shape (see services.js).
const fs = require('node:fs');
const path = require('node:path');
const { DATA, mkdirp, serviceDir, spawnDetached, writePid, httpGet, httpJson, waitReady, run, render, portOpen, ServiceError, log } = require('./core');
const { mavenArtifact, pgBinDir, javaHome } = require('./install');

function simple(name, { url, healthPath, healthOk, deadlineMs = 60000, launch }) {
  return {
    name,
    endpoint: (s) => url(s),
    logFile: () => path.join(DATA, name, `${name}.out`),
    async healthy(s) {
      const r = await httpGet(url(s) + healthPath, 1500);
      return healthOk(r);
    },
    async start(s) {
      const dir = serviceDir(name);
      const logFile = this.logFile();
      const { cmd, args, env, cwd } = await launch(s, dir);
      const pid = spawnDetached(cmd, args, { logFile, env, cwd });
      const rec = writePid(name, 'main', pid, { port: Number(new URL(url(s)).port) });
      await waitReady(name, () => this.healthy(s), { deadlineMs, pidRecs: [rec], logFile });
    },
  };
}

const opensearch = simple('opensearch', {
  url: (s) => `http://${s.host}:${s.opensearchPort}`,
  healthPath: '/_cluster/health?wait_for_status=yellow&timeout=1s',
  healthOk: (r) => r.status === 200,
  deadlineMs: 180000,
  async launch(s, dir) {
    const zip = await mavenArtifact('org.opensearch.distribution.integ-test-zip', 'opensearch', s.opensearchVersion, { packaging: 'zip' });
    const home = path.join(dir, `opensearch-${s.opensearchVersion}`);
    if (!fs.existsSync(path.join(home, 'bin', 'opensearch'))) {
      log(`opensearch: unpacking ${path.basename(zip)}`);
      const r = run('unzip', ['-q', '-o', zip, '-d', dir]);
      if (!r.ok) throw new ServiceError('opensearch', `unzip failed: ${r.out}`);
    }
    mkdirp(path.join(dir, 'data'));
    mkdirp(path.join(dir, 'logs'));
    // OpenSearch refuses to run as root: everything it touches belongs to nobody, and it starts through setpriv.
    const own = run('chown', ['-R', 'nobody:nogroup', dir]);
    if (!own.ok) throw new ServiceError('opensearch', `chown failed: ${own.out}`);
    return {
      cmd: 'setpriv',
      cwd: home,
      args: [
        '--reuid=nobody', '--regid=nogroup', '--clear-groups', 'bin/opensearch',
        '-Ediscovery.type=single-node', `-Enetwork.host=${s.host}`, `-Ehttp.port=${s.opensearchPort}`,
        `-Etransport.port=${s.opensearchTransportPort}`, `-Epath.data=${path.join(dir, 'data')}`,
        `-Epath.logs=${path.join(dir, 'logs')}`, '-Ecluster.name=fta-env',
      ],
      env: { HOME: dir, OPENSEARCH_JAVA_HOME: javaHome(), OPENSEARCH_JAVA_OPTS: '-Xms512m -Xmx512m' },
    };
  },
});
// A single node cannot place replicas: without this every new index stays yellow. As a node setting (-E) it
// is listed but not applied (seen on 2.19.6); as a persistent cluster setting it is, and unlike a catch-all
// template it cannot collide with the templates the tests create.
opensearch.afterReady = (s) =>
  httpJson('PUT', `${opensearch.endpoint(s)}/_cluster/settings`, { persistent: { 'cluster.default_number_of_replicas': 0 } });

const influxdb = simple('influxdb', {
  url: (s) => `http://${s.host}:${s.influxdbPort}`,
  healthPath: '/ping',
  healthOk: (r) => r.status === 204,
  launch(s, dir) {
    const conf = path.join(dir, 'influxdb.conf');
    fs.writeFileSync(conf, render('influxdb.conf', { DIR: dir, PORT: s.influxdbPort, RPC_PORT: s.influxdbRpcPort }));
    return { cmd: 'influxd', args: ['run', '-config', conf] };
  },
});

const prometheus = simple('prometheus', {
  url: (s) => `http://${s.host}:${s.prometheusPort}`,
  healthPath: '/-/ready',
  healthOk: (r) => r.status === 200,
  launch(s, dir) {
    const conf = path.join(dir, 'prometheus.yml');
    fs.writeFileSync(conf, render('prometheus.yml', {}));
    return {
      cmd: 'prometheus',
      args: [
        `--config.file=${conf}`, `--storage.tsdb.path=${path.join(dir, 'data')}`,
        `--web.listen-address=${s.host}:${s.prometheusPort}`, '--web.enable-remote-write-receiver',
      ],
    };
  },
});

const victoriametrics = simple('victoriametrics', {
  url: (s) => `http://${s.host}:${s.victoriametricsPort}`,
  healthPath: '/health',
  healthOk: (r) => r.status === 200,
  launch(s, dir) {
    return {
      cmd: 'victoria-metrics',
      args: [
        `-httpListenAddr=${s.host}:${s.victoriametricsPort}`, `-storageDataPath=${path.join(dir, 'data')}`,
        '-retentionPeriod=1',
        // tests read what they just wrote: no 30 s "latency offset" and no response cache
        '-search.latencyOffset=0s', '-search.disableCache',
      ],
    };
  },
});

// ---- PostgreSQL ------------------------------------------------------------------------------------------
const PG_USER = 'postgres';
const PG_TEST_DB = 'fta_test';
const pgDir = () => path.join(DATA, 'postgres');

function psql(s, sql, db = 'postgres') {
  return run('psql', ['-h', s.host, '-p', String(s.postgresPort), '-U', PG_USER, '-d', db, '-w', '-X', '-Atc', sql], {
    env: { ...process.env, PGCONNECT_TIMEOUT: '3', PGPASSWORD: '' },
  });
}
const asPostgres = (bin, args) => run('setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', bin, ...args], { cwd: '/' });

const postgres = {
  name: 'postgres',
  endpoint: (s) => ({ host: s.host, port: s.postgresPort, user: PG_USER, database: PG_TEST_DB }),
  logFile: () => path.join(pgDir(), 'postgres.log'),
  stopSignal: 'SIGINT', // "fast" shutdown: rolls back open transactions, exits cleanly
  async healthy(s) {
    return psql(s, 'SELECT 1').out.trim() === '1';
  },
  /** Runs after every `up`, ours or an instance that was already there: tests use their own database. */
  async afterReady(s) {
    if (psql(s, `SELECT 1 FROM pg_database WHERE datname='${PG_TEST_DB}'`).out.trim() !== '1') {
      const r = psql(s, `CREATE DATABASE ${PG_TEST_DB}`);
      if (!r.ok && !/already exists/.test(r.out)) throw new ServiceError('postgres', `CREATE DATABASE ${PG_TEST_DB} failed: ${r.out}`);
    }
  },
  async start(s) {
    if (await portOpen(s.postgresPort))
      throw new ServiceError('postgres', `127.0.0.1:${s.postgresPort} is taken by a server that does not accept user postgres without a password; stop it or set POSTGRES_PORT`);
    const bin = pgBinDir();
    if (!bin) throw new ServiceError('postgres', 'no PostgreSQL server binaries in /usr/lib/postgresql/*/bin');
    const dir = pgDir();
    const data = path.join(dir, 'data');
    const sock = path.join(dir, 'run');
    const logFile = this.logFile();
    mkdirp(sock);
    mkdirp(data, 0o700);
    run('chown', ['-R', 'postgres:postgres', dir]);
    fs.chmodSync(data, 0o700);
    if (!fs.existsSync(path.join(data, 'PG_VERSION'))) {
      log('postgres: initdb');
      const r = asPostgres(path.join(bin, 'initdb'), ['-D', data, '--auth=trust', '-U', PG_USER, '-E', 'UTF8', '--locale=C']);
      if (!r.ok) throw new ServiceError('postgres', `initdb failed: ${r.out}`);
    }
    const opts = `-p ${s.postgresPort} -k ${sock} -c listen_addresses=${s.host}`;
    const r = asPostgres(path.join(bin, 'pg_ctl'), ['-D', data, '-l', logFile, '-o', opts, '-w', '-t', '90', 'start']);
    if (!r.ok) throw new ServiceError('postgres', `pg_ctl start failed: ${r.out.trim()}`, logFile);
    const pid = Number(fs.readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const rec = writePid('postgres', 'main', pid, { port: s.postgresPort });
    await waitReady('postgres', () => this.healthy(s), { deadlineMs: 60000, pidRecs: [rec], logFile });
  },
};

module.exports = { opensearch, influxdb, prometheus, victoriametrics, postgres };
