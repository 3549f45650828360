// The command as users run it: `node dist/src/cli/main.js …`, asserting exit codes and output.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkCommand } from '../../src/cli/check';

const ROOT = join(__dirname, '..', '..', '..');
const MAIN = join(ROOT, 'dist', 'src', 'cli', 'main.js');

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000, env: { ...process.env, FORCE_COLOR: '0' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('flink-telemetry-agent CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fta-cli-'));
  const write = (name: string, text: string) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };
  const valid = write(
    'valid.yaml',
    `agent:\n  data_dir: ${dir}/data\nsources:\n  h:\n    type: host\n    interval: 30s\nsinks:\n  out:\n    type: file\n    inputs: [h]\n    path: ${dir}/out.ndjson\n`,
  );

  it('prints usage for --help and for each command', () => {
    const top = cli('--help');
    assert.equal(top.code, 0);
    for (const c of ['run', 'check', 'once', 'schema', 'version']) assert.match(top.stdout, new RegExp(`^  ${c} `, 'm'));
    const check = cli('check', '--help');
    assert.equal(check.code, 0);
    assert.match(check.stdout, /^Usage: flink-telemetry-agent check \[--config FILE\] \[--offline\] \[--strict\]/);
    for (const c of ['run', 'once', 'schema', 'version']) {
      const r = cli(c, '--help');
      assert.equal(r.code, 0, c);
      assert.ok(r.stdout.startsWith(`Usage: flink-telemetry-agent ${c}`), r.stdout);
    }
  });

  it('prints the name and version from package.json', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = cli('version');
    assert.equal(r.code, 0);
    assert.equal(r.stdout, `flink-telemetry-agent ${pkg.version} (node ${process.versions.node})\n`);
  });

  it('answers a bad command line with a sentence and exit 2', () => {
    const r = cli('chek');
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'unknown command `chek`; did you mean `check`? Commands: run, check, once, schema, version; see `flink-telemetry-agent --help`\n');
    const o = cli('check', '--ofline');
    assert.equal(o.code, 2);
    assert.equal(o.stderr, "check: Unknown option '--ofline'; see `flink-telemetry-agent check --help`\n");
  });

  it('check passes a valid config offline, stage by stage, and prints the effective config', () => {
    const r = cli('check', '--config', valid, '--offline');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const lines = r.stdout.split('\n');
    assert.deepEqual(lines.slice(0, 6), [
      `Checking ${valid} (offline: endpoints are not contacted)`,
      `✓ read: ${valid}`,
      '✓ parse: well-formed YAML',
      '✓ substitute: 0 references resolved',
      '✓ schema: 1 sources, 0 transforms, 1 sinks',
      '✓ topology: every input exists, no cycles',
    ]);
    assert.ok(lines.includes('✓ build source h: host source built'), r.stdout);
    assert.ok(lines.includes('✓ build sink out: file sink built'), r.stdout);
    assert.ok(lines.includes('    interval: 30s'), 'effective config with units');
    assert.ok(lines.includes('  shutdown_grace: 10s'), 'defaults filled in');
    assert.equal(lines.at(-2), 'Configuration is valid.');
  });

  it('check prints each reach result as it is known, before a slow endpoint answers', async () => {
    const lines: string[] = [];
    let printedBeforeAnswer = false;
    // A JobManager that answers only after looking at what check has printed so far, then refuses (503).
    const jobManager: Server = createServer((_req, res) => {
      printedBeforeAnswer ||= lines.some((l) => l.startsWith('✓ reach source h: collected '));
      res.writeHead(503).end('{"errors":["not yet"]}');
    });
    await new Promise<void>((r) => jobManager.listen(0, '127.0.0.1', r));
    const port = (jobManager.address() as { port: number }).port;
    const file = write('slow.yaml', `agent:\n  data_dir: ${dir}/data-slow\nsources:\n  h:\n    type: host\n  jm:\n    type: flink_rest\n    url: http://127.0.0.1:${port}\nsinks:\n  out:\n    type: file\n    inputs: [h, jm]\n    path: ${dir}/slow.ndjson\n`);
    try {
      await checkCommand({ configFile: file, offline: false, strict: false, printConfig: false }, (l) => lines.push(l));
    } finally {
      jobManager.close();
    }
    assert.ok(printedBeforeAnswer, `the host source's reach line was not printed before the JobManager answered:\n${lines.join('\n')}`);
    // flink_rest reports an unreachable JobManager as flink_rest_up 0, one record, rather than failing the round.
    assert.ok(lines.indexOf('✓ reach source jm: collected 1 record') > lines.findIndex((l) => l.startsWith('✓ reach source h: ')), lines.join('\n'));
  });

  it('check rejects an invalid config with every problem at file:line:col and exit 1', () => {
    const bad = write('bad.yaml', 'sources:\n  h:\n    type: host\n    intervall: 30s\nsinks:\n  out:\n    type: fiel\n    inputs: [h]\n');
    const r = cli('check', '--config', bad, '--offline');
    assert.equal(r.code, 1);
    assert.ok(r.stdout.includes(
      [
        '✗ schema: 2 problems',
        `    ${bad}:4:5 sources.h.intervall: unknown field \`intervall\`; did you mean \`interval\`?`,
        `    ${bad}:7:11 sinks.out.type: unknown sink type "fiel"; did you mean \`file\`? Valid types: `,
      ].join('\n'),
    ), r.stdout);
    assert.doesNotMatch(r.stdout + r.stderr, /\n\s+at /, 'no stack trace');
  });

  it('check reports a missing file and a topology error', () => {
    const missing = cli('check', '--config', join(dir, 'nope.yaml'));
    assert.equal(missing.code, 1);
    assert.ok(missing.stdout.includes(`✗ read: 1 problem\n    ${join(dir, 'nope.yaml')}: no such file; pass the path with --config (ENOENT)`), missing.stdout);
    const cyc = write('topo.yaml', 'sources:\n  h:\n    type: host\nsinks:\n  out:\n    type: file\n    inputs: [hh]\n');
    const r = cli('check', '--config', cyc, '--offline');
    assert.equal(r.code, 1);
    assert.ok(r.stdout.includes(`✗ topology: 1 problem\n    ${cyc}:7:14 sinks.out.inputs[0]: unknown input \`hh\`; did you mean \`h\`?`), r.stdout);
  });

  it('check --strict fails on a warning that plain check lets pass', () => {
    const orphan = write('orphan.yaml', readFileSync(valid, 'utf8').replace('sinks:', '  idle:\n    type: host\nsinks:'));
    const plain = cli('check', '--config', orphan, '--offline', '--no-print-config');
    assert.equal(plain.code, 0, plain.stdout);
    assert.match(plain.stdout, /^~ topology: .*orphan\.yaml:7:3 sources\.idle: source `idle` is not an input of any sink or transform; what it collects goes nowhere$/m);
    const strict = cli('check', '--config', orphan, '--offline', '--strict', '--no-print-config');
    assert.equal(strict.code, 1);
    assert.match(strict.stdout, /--strict makes them fatal\.\n$/);
  });

  it('once prints one round of the host source as NDJSON and sends nothing', () => {
    const r = cli('once', '--config', valid, '--format', 'json');
    assert.equal(r.code, 0, r.stderr);
    const records = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { source: string; kind: string; name: string });
    assert.ok(records.length > 5, `only ${records.length} records`);
    assert.ok(records.every((x) => x.source === 'h' && x.kind === 'sample'));
    assert.ok(records.some((x) => x.name.startsWith('node_')), 'node_exporter-style names');
    assert.throws(() => readFileSync(join(dir, 'out.ndjson')), /ENOENT/, 'the file sink received nothing');
  });

  it('once in text prints a header per source; unknown --source and bad config are sentences', () => {
    const text = cli('once', '--config', valid);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^== h \(host\): \d+ records\n  \d{4}-\d\d-\d\dT[\d:.]+Z node_\w+\{/);
    const unknown = cli('once', '--config', valid, '--source', 'hh');
    assert.equal(unknown.code, 2);
    assert.equal(unknown.stderr, 'once: no source named `hh` in the config; did you mean `h`?\n');
    const bad = write('env.yaml', 'agent:\n  cluster: ${FTA_TEST_UNSET_VAR}\nsources: {}\nsinks: {}\n');
    const r = cli('once', '--config', bad);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `Invalid configuration (1 problem):\n${bad}:2:12 agent.cluster: environment variable FTA_TEST_UNSET_VAR is not set; set it, or give a default with \${FTA_TEST_UNSET_VAR:-value}\n`);
  });

  it('schema prints the JSON Schema and --example the commented example', () => {
    const js = cli('schema');
    assert.equal(js.code, 0);
    const schema = JSON.parse(js.stdout) as { $schema: string; required: string[] };
    assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
    assert.deepEqual(schema.required, ['sources', 'sinks']);
    const ex = cli('schema', '--example');
    assert.equal(ex.code, 0);
    assert.match(ex.stdout, /^## flink-telemetry-agent: every option/);
  });
});
