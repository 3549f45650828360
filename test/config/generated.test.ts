// The committed config/agent.schema.json and config/agent.example.yaml are generated from the schema; these
// tests fail when they are stale, when the example would not run, or when an option is missing from it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { formatProblem } from '../../src/errors';
import { propertiesOf, typedOptions, type JsonSchema } from '../../src/config/json-schema';
import { loadConfig, parseConfigText } from '../../src/config/load';
import { agentJsonSchema } from '../../src/config/registered';
import { exampleConfig, schemaText } from '../../src/cli/schema-command';

const ROOT = join(__dirname, '..', '..', '..');
const REGENERATE = 'config/ is stale: run `npm run schema` and commit config/agent.schema.json and config/agent.example.yaml';

/** Every property path of the schema; typed unions as `sources.<flink_rest>.url`. */
function schemaPaths(node: JsonSchema, prefix: string, out: string[]): string[] {
  const options = typedOptions(node.additionalProperties && typeof node.additionalProperties === 'object' ? node.additionalProperties : undefined);
  if (options) {
    for (const [type, option] of options) schemaPaths(option, `${prefix}.<${type}>`, out);
    return out;
  }
  for (const [key, child] of Object.entries(propertiesOf(node) ?? {})) {
    const path = prefix ? `${prefix}.${key}` : key;
    out.push(path);
    schemaPaths(child, path, out);
  }
  return out;
}

/** The same paths, read from a document: `sources.<type>` for each component, by its type. */
function documentPaths(value: unknown, prefix: string, out: Set<string>): Set<string> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return out;
  for (const [key, child] of Object.entries(value)) {
    const isComponent = ['sources', 'transforms', 'sinks'].includes(prefix);
    const path = isComponent ? `${prefix}.<${(child as { type: string }).type}>` : prefix ? `${prefix}.${key}` : key;
    if (!isComponent) out.add(path);
    documentPaths(child, path, out);
  }
  return out;
}

describe('generated config files', () => {
  it('config/agent.schema.json is up to date', () => {
    assert.equal(readFileSync(join(ROOT, 'config/agent.schema.json'), 'utf8'), schemaText(), REGENERATE);
  });

  it('config/agent.example.yaml is up to date', () => {
    assert.equal(readFileSync(join(ROOT, 'config/agent.example.yaml'), 'utf8'), exampleConfig(), REGENERATE);
  });

  it('the example is a valid config with no warnings', () => {
    const loaded = parseConfigText(exampleConfig(), 'agent.example.yaml', {});
    assert.deepEqual(loaded.warnings.map(formatProblem), []);
  });

  it('the example has one instance of every source, transform and sink type', () => {
    const { config } = parseConfigText(exampleConfig(), 'agent.example.yaml', {});
    const js = agentJsonSchema();
    for (const section of ['sources', 'transforms', 'sinks'] as const) {
      const types = [...typedOptions(js.properties![section]!.additionalProperties as JsonSchema)!.keys()].sort();
      assert.deepEqual(Object.values(config[section]).map((c) => c.type).sort(), types, section);
    }
  });

  it('every schema option appears in the example (commented-out options count once uncommented)', () => {
    // `# key: value` lines are options switched off; `## text` lines are descriptions and stay comments.
    const uncommented = exampleConfig().replace(/^(\s*)# (?!#)/gm, '$1');
    const present = documentPaths(parse(uncommented), '', new Set());
    const missing = schemaPaths(agentJsonSchema(), '', []).filter((p) => !present.has(p));
    assert.deepEqual(missing, [], 'options missing from the generated example');
    assert.ok(present.size > 100, `only ${present.size} paths found; the walk is broken`);
  });

  it('the default config/agent.yaml is valid and wires every source into a sink', () => {
    const loaded = loadConfig(join(ROOT, 'config/agent.yaml'), {});
    assert.deepEqual(loaded.warnings, []);
    assert.deepEqual(Object.keys(loaded.config.sources).sort(), ['flink_logs', 'flink_prometheus', 'flink_rest', 'host']);
    assert.deepEqual(Object.values(loaded.config.sinks).map((s) => s.type), ['file']);
    assert.equal(loaded.config.sources['host']!['interval'], 15_000);
  });
});
