'use strict';
// Installs what a fresh Debian 12 machine lacks: apt packages (one `apt-get update`, one install for all) and
// Maven artifacts (cached in ~/.m2 and .cache/env). Nothing here runs when everything is already present.
const fs = require('node:fs');
const path = require('node:path');
const { CACHE, log, mkdirp, runLogged, which, DATA } = require('./core');

const PG_BIN_GLOB = '/usr/lib/postgresql';

function pgBinDir() {
  if (!fs.existsSync(PG_BIN_GLOB)) return null;
  const versions = fs
    .readdirSync(PG_BIN_GLOB)
    .filter((v) => fs.existsSync(path.join(PG_BIN_GLOB, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? path.join(PG_BIN_GLOB, versions[0], 'bin') : null;
}

/** apt packages each service needs, keyed by a check that tells whether they are already there. */
const NEEDS = {
  influxdb: [{ have: () => which('influxd'), pkgs: ['influxdb', 'influxdb-client'] }],
  prometheus: [{ have: () => which('prometheus'), pkgs: ['prometheus'] }],
  victoriametrics: [{ have: () => which('victoria-metrics'), pkgs: ['victoria-metrics'] }],
  postgres: [
    { have: () => pgBinDir(), pkgs: ['postgresql'] },
    { have: () => which('psql'), pkgs: ['postgresql-client'] },
  ],
  opensearch: [
    { have: () => which('java'), pkgs: ['openjdk-17-jdk-headless'] },
    { have: () => which('mvn'), pkgs: ['maven'] },
    { have: () => which('unzip'), pkgs: ['unzip'] },
    { have: () => which('setpriv'), pkgs: ['util-linux'] },
  ],
  flink: [
    { have: () => which('java'), pkgs: ['openjdk-17-jdk-headless'] },
    { have: () => which('mvn'), pkgs: ['maven'] },
  ],
};

/**
 * One apt transaction for everything missing. A temporary policy-rc.d keeps postinst scripts from starting
 * Debian's own daemons (they would take our ports: Debian's PostgreSQL wants a password on 127.0.0.1).
 */
async function ensurePackages(services) {
  const missing = new Set();
  for (const s of services) for (const n of NEEDS[s] || []) if (!n.have()) n.pkgs.forEach((p) => missing.add(p));
  if (!missing.size) return;
  if (process.getuid && process.getuid() !== 0) throw new Error(`packages missing (${[...missing].join(' ')}) and not root: install them with apt-get`);
  const pkgs = [...missing];
  const logFile = path.join(mkdirp(DATA), 'apt.log');
  log(`installing apt packages: ${pkgs.join(' ')} (log: ${logFile})`);
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !fs.existsSync(policy);
  if (ownPolicy) fs.writeFileSync(policy, '#!/bin/sh\n# written by scripts/env during apt-get install\nexit 101\n', { mode: 0o755 });
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    await runLogged('apt-get', ['update', '-q', '-o', 'DPkg::Lock::Timeout=300'], logFile, { env });
    // wait for a dpkg lock held by e.g. unattended-upgrades on a fresh machine instead of failing at once
    await runLogged('apt-get', ['install', '-y', '-q', '-o', 'DPkg::Lock::Timeout=300', '--no-install-recommends', ...pkgs], logFile, { env });
  } finally {
    if (ownPolicy) fs.rmSync(policy, { force: true });
  }
  log('apt packages installed');
}

/** The local Maven repository, passed to every mvn call (mvn itself ignores $HOME: it reads the passwd entry). */
function m2Repo() {
  return process.env.ENV_MAVEN_REPO || path.join(process.env.HOME || '/root', '.m2', 'repository');
}

/** Path of an artifact in ~/.m2, fetched with `mvn dependency:get` when absent (pinned versions only). */
async function mavenArtifact(groupId, artifactId, version, { packaging = 'jar', classifier = '' } = {}) {
  const file = path.join(
    m2Repo(),
    ...groupId.split('.'),
    artifactId,
    version,
    `${artifactId}-${version}${classifier ? '-' + classifier : ''}.${packaging}`,
  );
  if (fs.existsSync(file)) return file;
  const coords = `${groupId}:${artifactId}:${version}:${packaging}${classifier ? ':' + classifier : ''}`;
  const logFile = path.join(mkdirp(CACHE), 'maven.log');
  log(`downloading ${coords} from Maven Central`);
  await runLogged('mvn', ['-B', '-q', `-Dmaven.repo.local=${m2Repo()}`, 'dependency:get', `-Dartifact=${coords}`, '-Dtransitive=false'], logFile);
  if (!fs.existsSync(file)) throw new Error(`maven did not produce ${file} (see ${logFile})`);
  return file;
}

function javaHome() {
  if (process.env.JAVA_HOME && fs.existsSync(path.join(process.env.JAVA_HOME, 'bin', 'java'))) return process.env.JAVA_HOME;
  const java = which('java');
  if (!java) throw new Error('java not found');
  return path.dirname(path.dirname(fs.realpathSync(java)));
}

module.exports = { ensurePackages, mavenArtifact, pgBinDir, javaHome, m2Repo };
