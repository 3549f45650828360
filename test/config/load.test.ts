import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, formatProblem } from '../../src/errors';
import { parseConfigWith, runConfigStages } from '../../src/config/parse';
import { fakeSchema } from './fixtures';

const F = 'agent.yaml';
const VALID_SINK = 'sinks:\n  search:\n    type: search\n    url: http://127.0.0.1:9200\n    inputs: [prom]\n';

function problems(text: string, env: NodeJS.ProcessEnv = {}): { stage: string; code: string; lines: string[] } {
  const r = runConfigStages(text, F, env, fakeSchema);
  assert.equal(r.ok, false, 'expected the config to be rejected');
  if (r.ok) throw new Error('unreachable');
  return { stage: r.stage, code: r.error.code, lines: r.error.problems.map(formatProblem) };
}

function load(text: string, env: NodeJS.ProcessEnv = {}) {
  return parseConfigWith(text, F, env, fakeSchema);
}

describe('config loading', () => {
  it('fills every default of a minimal config', () => {
    const { config, warnings } = load('sources:\n  prom:\n    type: scrape\n    url: http://127.0.0.1:9249/metrics\n' + VALID_SINK);
    assert.deepEqual(warnings, []);
    assert.equal(config.agent.cluster, 'flink');
    assert.equal(typeof config.agent.node, 'string');
    assert.ok(config.agent.node.length > 0);
    assert.equal(config.agent.data_dir, './data');
    assert.deepEqual(config.agent.log, { level: 'info', format: 'auto' });
    assert.deepEqual(config.agent.http, { enabled: true, listen: '127.0.0.1:9464' });
    assert.deepEqual(config.agent.tracing, { enabled: false, endpoint: 'http://127.0.0.1:4318/v1/traces', service_name: 'flink-telemetry-agent', sample_ratio: 1 });
    assert.equal(config.agent.shutdown_grace, 10_000);
    assert.deepEqual(config.transforms, {});
    assert.equal(config.sources['prom']!['interval'], 15_000);
    assert.equal(config.sinks['search']!['max_doc'], 1024 * 1024);
    assert.deepEqual(config.sinks['search']!['batch'], { max_events: 1000, max_bytes: 4 * 1024 * 1024, timeout: 1000 });
  });

  it('reports malformed YAML with the parser position', () => {
    const r = problems('sources:\n  prom: [a, b\nsinks: {}\n');
    assert.equal(r.stage, 'parse');
    assert.equal(r.code, 'AGT_CONFIG_INVALID');
    assert.deepEqual(r.lines, ['agent.yaml:3:1: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ] (BAD_INDENT)']);
  });

  it('reports a tab-indented line at its exact position', () => {
    const r = problems('sources:\n\tprom: 1\n');
    assert.equal(r.stage, 'parse');
    assert.deepEqual(r.lines, ['agent.yaml:2:1: YAML syntax error: Tabs are not allowed as indentation (TAB_AS_INDENT)']);
  });

  it('reports an empty file', () => {
    assert.deepEqual(problems('# nothing\n').lines, ['agent.yaml:1:1: the file is empty; it needs at least `sources:` and `sinks:` (see config/agent.example.yaml)']);
  });

  it('reports every schema problem at once, each with file:line:col, field and a fix', () => {
    const text = [
      'agent:', //                                   1
      '  clustr: x', //                              2
      '  log:', //                                   3
      '    level: verbose', //                       4
      '  shutdown_grace: 10 parsecs', //             5
      'sources:', //                                 6
      '  prom:', //                                  7
      '    type: scrap', //                          8
      '    url: http://x', //                        9
      '  files:', //                                 10
      '    paths: [a]', //                           11
      '  more:', //                                  12
      '    type: scrape', //                         13
      '    url: not a url', //                       14
      '    interval: true', //                       15
      '    labels: { zone: 1 }', //                  16
      'sinks:', //                                   17
      '  search:', //                                18
      '    type: search', //                         19
      '    url: http://localhost:9200', //           20
      '    inputs: []', //                           21
      '    max_doc: 12 lightyears', //               22
      '    batch: { max_events: 0 }', //             23
      '  s2:', //                                    24
      '    type: search', //                         25
      '',
    ].join('\n');
    const r = problems(text);
    assert.equal(r.stage, 'schema');
    assert.equal(r.code, 'AGT_CONFIG_INVALID');
    assert.deepEqual(r.lines, [
      'agent.yaml:2:3 agent.clustr: unknown field `clustr`; did you mean `cluster`?',
      'agent.yaml:4:12 agent.log.level: "verbose" is not allowed; use one of `trace`, `debug`, `info`, `warn`, `error`',
      'agent.yaml:5:19 agent.shutdown_grace: "10 parsecs" is not a duration; write a number with a unit such as 500ms, 15s, 5m, 1h or 1h30m',
      'agent.yaml:8:11 sources.prom.type: unknown source type "scrap"; did you mean `scrape`? Valid types: `scrape`, `tail`',
      'agent.yaml:10:3 sources.files: `type` is missing; every source needs one of `scrape`, `tail`',
      'agent.yaml:14:10 sources.more.url: "not a url" is not a URL such as http://127.0.0.1:9200',
      'agent.yaml:15:15 sources.more.interval: expected a duration such as 500ms, 15s, 5m or 1h30m (or a number of milliseconds), got true',
      'agent.yaml:16:21 sources.more.labels.zone: expected a string, got 1; quote it: "1"',
      'agent.yaml:21:13 sinks.search.inputs: needs at least 1 entry',
      'agent.yaml:22:14 sinks.search.max_doc: "12 lightyears" is not a size; write a number with a unit such as 512KiB, 256MiB, 10MB or 1GiB',
      'agent.yaml:23:26 sinks.search.batch.max_events: 0 is too small; it must be greater than 0',
      'agent.yaml:24:3 sinks.s2.url: `url` is required: a URL (Base URL of the cluster)',
      'agent.yaml:24:3 sinks.s2.inputs: `inputs` is required: a list (Names of the sources (or transforms) whose records this sink receives)',
    ]);
  });

  it('lists the allowed keys when an unknown key resembles none of them', () => {
    const r = problems('agent:\n  log:\n    colour: red\nsources: {}\nsinks: {}\n');
    assert.deepEqual(r.lines, ['agent.yaml:3:5 agent.log.colour: unknown field `colour`; allowed here: `level`, `format`']);
  });

  it('checks the agent section: listen address and sample ratio', () => {
    const r = problems('agent:\n  http: { listen: localhost }\n  tracing: { sample_ratio: 2 }\nsources: {}\nsinks: {}\n');
    assert.deepEqual(r.lines, [
      'agent.yaml:2:19 agent.http.listen: "localhost" is not host:port, e.g. 127.0.0.1:9464 or [::1]:9464',
      'agent.yaml:3:28 agent.tracing.sample_ratio: 2 is too large; the maximum is 1',
    ]);
  });
});

describe('config: source schedules', () => {
  it('rejects a cron expression node-cron cannot run, at its line, and accepts one with seconds', () => {
    const source = (cron: string) => `sources:\n  prom:\n    type: scrape\n    url: http://127.0.0.1:9249/metrics\n    cron: "${cron}"\n` + VALID_SINK;
    assert.deepEqual(problems(source('every minute')).lines, [
      'agent.yaml:5:11 sources.prom.cron: not a cron expression: 5 fields (minute hour day month weekday) or 6 with seconds first, e.g. "*/10 * * * * *"',
    ]);
    assert.equal(load(source('*/10 * * * * *')).config.sources['prom']!['cron'], '*/10 * * * * *');
  });
});

describe('config substitution', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fta-config-'));
  const base = (url: string) => `sources:\n  prom:\n    type: scrape\n    url: ${url}\n` + VALID_SINK;

  it('substitutes ${VAR}, ${VAR:-default} and $$, and re-types unquoted numbers', () => {
    // Inside a flow mapping `{ }` a reference must be quoted (YAML ends a plain scalar at `}`); in block style not.
    const text = 'agent:\n  cluster: ${CLUSTER}\n  labels: { dc: "${DC:-fra}", cost: "$$5", port: "${PORT}" }\n  tracing:\n    sample_ratio: ${RATIO}\n' + base('http://${HOST}:9249/metrics');
    const { config } = load(text, { CLUSTER: 'prod', HOST: 'tm-1', RATIO: '0.5', PORT: '9249' });
    assert.equal(config.agent.cluster, 'prod');
    assert.deepEqual(config.agent.labels, { dc: 'fra', cost: '$5', port: '9249' });
    assert.equal(config.agent.tracing.sample_ratio, 0.5);
    assert.equal(config.sources['prom']!['url'], 'http://tm-1:9249/metrics');
  });

  it('uses the default when the variable is empty, and keeps an empty value without a default', () => {
    const { config } = load('agent:\n  labels: { a: "${A:-x}", b: "${B}" }\n' + base('http://h:1/'), { A: '', B: '' });
    assert.deepEqual(config.agent.labels, { a: 'x', b: '' });
  });

  it('reads ${file:/path} secrets without the trailing newline and remembers them for masking', () => {
    const secret = join(dir, 'pw');
    writeFileSync(secret, 's3cr3t: with colon\n');
    const loaded = load(base('http://h:1/').replace('inputs: [prom]', `inputs: [prom]\n    password: \${file:${secret}}`));
    assert.equal(loaded.config.sinks['search']!['password'], 's3cr3t: with colon');
    assert.deepEqual(loaded.secretPaths, ['sinks.search.password']);
  });

  it('names file:line:col and the field for a missing variable', () => {
    const r = problems('agent:\n  cluster: prod-${REGION}\n' + base('http://h:1/'));
    assert.equal(r.stage, 'substitute');
    assert.equal(r.code, 'AGT_CONFIG_SUBSTITUTION');
    assert.deepEqual(r.lines, ['agent.yaml:2:17 agent.cluster: environment variable REGION is not set; set it, or give a default with ${REGION:-value}']);
  });

  it('names file:line:col and the field for an unreadable secret file', () => {
    const r = problems(base('http://h:1/').replace('inputs: [prom]', 'inputs: [prom]\n    password: "${file:/nonexistent/pw}"'));
    assert.deepEqual(r.lines, ["agent.yaml:10:16 sinks.search.password: cannot read secret file /nonexistent/pw (ENOENT); check the path and that the agent's user may read it"]);
  });

  it('reports a secret path that is a directory', () => {
    const text = base('http://h:1/').replace('inputs: [prom]', `inputs: [prom]\n    password: \${file:${dir}}`);
    assert.deepEqual(problems(text).lines, [`agent.yaml:10:15 sinks.search.password: cannot read secret file ${dir} (EISDIR); check the path and that the agent's user may read it`]);
  });

  it('reports every bad reference of a value, and invalid or unterminated ones', () => {
    const r = problems('agent:\n  cluster: "${A}-${B}"\n  data_dir: ${not valid}\n  labels: { x: "${oops" }\n' + base('http://h:1/'));
    assert.deepEqual(r.lines, [
      'agent.yaml:2:13 agent.cluster: environment variable A is not set; set it, or give a default with ${A:-value}',
      'agent.yaml:2:18 agent.cluster: environment variable B is not set; set it, or give a default with ${B:-value}',
      'agent.yaml:3:13 agent.data_dir: `${not valid}` is not a valid reference; write ${VAR}, ${VAR:-default} or ${file:/path/to/secret} (or $$ for a literal $)',
      'agent.yaml:4:17 agent.labels.x: unterminated `${`; close it with `}`, or write `$$` for a literal `$`',
    ]);
  });

  it('throws ConfigError from parseConfigWith', () => {
    assert.throws(() => load('sources: [\n'), (e: unknown) => e instanceof ConfigError && e.code === 'AGT_CONFIG_INVALID' && /^agent\.yaml:\d+:\d+: YAML syntax error/.test(e.message));
  });
});
