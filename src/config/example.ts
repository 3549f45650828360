// config/agent.example.yaml, generated from the JSON Schema like Telegraf's sample.conf: every option appears,
// with its description as a comment. Uncommented values are defaults (or, for required fields, examples), so the
// file runs as it is; `# key: value` lines are optional settings to switch on. One instance of every source,
// transform and sink type is wired together: sources → transforms in a chain → every sink.
import { stringify } from 'yaml';
import { propertiesOf, typedOptions, type JsonSchema } from './json-schema';

const WIDTH = 110;
const HEADER = [
  '## flink-telemetry-agent: every option, with one instance of each source, transform and sink type.',
  '## GENERATED from the config schema by `npm run schema`; edit the schema (`.describe()`, `.meta({ examples })`), not this file.',
  '##',
  '## `## text` describes the option below it. `key: value` lines are the defaults (or, for required fields, an',
  '## example value). `# key: value` lines are optional settings: remove the `# ` to switch one on.',
  '## Values may use ${VAR}, ${VAR:-default} and ${file:/path/to/secret}; durations take 500ms/15s/5m/1h30m and',
  '## sizes 512KiB/256MiB/1GiB. Validate a config with `flink-telemetry-agent check --config FILE`.',
];

type Describe = (section: 'sources' | 'transforms' | 'sinks', type: string) => string | undefined;

export interface ExampleOptions {
  describeType?: Describe;
  /** Dotted paths (`sinks.influxdb.database`) of optional fields to show switched on, with their example value. */
  enable?: ReadonlySet<string>;
}

export function generateExample(js: JsonSchema, options: ExampleOptions = {}): string {
  const describeType = options.describeType ?? (() => undefined);
  const ctx: Ctx = { enable: options.enable ?? new Set() };
  const out = [...HEADER, ''];
  const top = js.properties ?? {};
  const used = new Set<string>();
  const unique = (name: string, suffix: string) => {
    let n = name;
    while (used.has(n)) n = `${name}_${suffix}`;
    used.add(n);
    return n;
  };
  const section = (key: 'sources' | 'transforms' | 'sinks') => {
    const union = top[key]?.additionalProperties;
    const types = [...(typedOptions(typeof union === 'object' ? union : undefined) ?? new Map<string, JsonSchema>())];
    return types.map(([type, schema]) => ({ type, schema, name: unique(type, key.slice(0, -1)) }));
  };
  const sources = section('sources');
  const transforms = section('transforms');
  const sinks = section('sinks');

  // Wiring: every source feeds the first transform, each transform the next, the last one feeds every sink.
  const inputs = new Map<string, string[]>();
  let upstream = sources.map((s) => s.name);
  for (const t of transforms) {
    inputs.set(t.name, upstream);
    upstream = [t.name];
  }
  for (const s of sinks) inputs.set(s.name, upstream);

  if (top['agent']) renderField(ctx, out, 'agent', 'agent', top['agent'], true, 0, false, undefined);
  for (const [key, items] of [['sources', sources], ['transforms', transforms], ['sinks', sinks]] as const) {
    const node = top[key];
    if (!node || items.length === 0) continue;
    out.push('');
    comment(out, 0, node.description);
    out.push(`${key}:`);
    for (const item of items) {
      out.push('');
      comment(out, 2, describeType(key, item.type) ?? item.schema.description);
      out.push(`  ${item.name}:`);
      renderObject(ctx, out, `${key}.${item.name}`, item.schema, 4, false, { inputs: inputs.get(item.name) });
    }
  }
  return out.join('\n') + '\n';
}

interface Ctx {
  enable: ReadonlySet<string>;
}

function renderObject(ctx: Ctx, out: string[], path: string, node: JsonSchema, indent: number, commented: boolean, overrides: Record<string, unknown> = {}): void {
  const props = propertiesOf(node) ?? {};
  const required = new Set(node.required ?? []);
  // `type` and `inputs` first: they say what the component is and where it reads from.
  const keys = Object.keys(props).sort((a, b) => rank(a) - rank(b));
  for (const key of keys) renderField(ctx, out, `${path}.${key}`, key, props[key]!, required.has(key), indent, commented, overrides[key]);
}

/** The pipeline's options every sink shares go last, after what is particular to the sink. */
const PIPELINE_KEYS = new Set(['batch', 'buffer', 'retry', 'request']);

function rank(key: string): number {
  return key === 'type' ? 0 : key === 'inputs' ? 1 : PIPELINE_KEYS.has(key) ? 3 : 2;
}

function renderField(ctx: Ctx, out: string[], path: string, key: string, node: JsonSchema, required: boolean, indent: number, commented: boolean, override: unknown): void {
  const pad = ' '.repeat(indent);
  const hasDefault = node.default !== undefined;
  const isObject = propertiesOf(node) !== undefined && !typedOptions(node) && override === undefined;
  // Optional fields without a default are shown switched off, unless the example needs them (see enable).
  const off = commented || (!required && !hasDefault && override === undefined && !ctx.enable.has(path));
  const mark = off ? '# ' : '';
  if (key !== 'type' && key !== 'inputs') {
    comment(out, indent, describeField(node));
    // The example on a line of its own: wrapping it with the prose would cut a value in half.
    if (!isObject && hasDefault && node.examples?.length) out.push(`${pad}## Example: ${yamlValue(node.examples[0])}`);
  }
  if (isObject) {
    out.push(`${pad}${mark}${key}:`);
    renderObject(ctx, out, path, node, indent + 2, off);
    return;
  }
  const value = override !== undefined ? override : hasDefault && !ctx.enable.has(path) ? node.default : (node.examples?.[0] ?? placeholder(node));
  out.push(`${pad}${mark}${key}: ${yamlValue(value)}`);
}

function describeField(node: JsonSchema): string | undefined {
  const parts = [node.description ?? ''];
  const values = node.enum ?? (node.anyOf ?? []).flatMap((o) => o.enum ?? []);
  if (values.length && !values.every((v) => parts[0]!.includes(String(v)))) parts.push(`One of: ${values.map(String).join(', ')}.`);
  const text = parts.filter(Boolean).join(' ');
  return text || undefined;
}

function comment(out: string[], indent: number, text: string | undefined): void {
  if (!text) return;
  const pad = ' '.repeat(indent) + '## ';
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && pad.length + line.length + word.length + 1 > WIDTH) {
      out.push(pad + line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) out.push(pad + line);
}

/** A value that validates when the schema gives neither a default nor an example. */
function placeholder(node: JsonSchema): unknown {
  if (node.const !== undefined) return node.const;
  if (node.enum?.length) return node.enum[0];
  const t = Array.isArray(node.type) ? node.type[0] : node.type;
  switch (t) {
    case 'string':
      return node.format === 'uri' ? 'http://127.0.0.1:8080' : 'CHANGE_ME';
    case 'integer':
    case 'number':
      return node.minimum ?? 0;
    case 'boolean':
      return false;
    case 'array':
      return node.minItems && node.items ? [placeholder(node.items)] : [];
    case 'object':
      return {};
    default:
      return node.anyOf?.length ? placeholder(node.anyOf[0]!) : '';
  }
}

function yamlValue(value: unknown): string {
  return stringify(value, { collectionStyle: 'flow', lineWidth: 0 }).trimEnd();
}

/**
 * The example, made valid: a field that is optional on its own but required by a rule across fields (influxdb
 * `api: v1` needs `database`) is switched on with its example value, as often as validation asks for one.
 */
export function generateValidExample(js: JsonSchema, validate: (text: string) => string[], describeType?: Describe): string {
  const enable = new Set<string>();
  // Each round switches on at least one more field, so this ends; the cap guards against a schema gone odd
  // (the generated-files test then reports the example as invalid).
  for (let round = 0; ; round++) {
    const text = generateExample(js, { enable, ...(describeType ? { describeType } : {}) });
    const wanted = validate(text).filter((path) => !enable.has(path));
    if (wanted.length === 0 || round === 20) return text;
    for (const path of wanted) enable.add(path);
  }
}
