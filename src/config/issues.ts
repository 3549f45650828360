// Turns zod issues into problems a person can act on: where (file:line:col), which field, what was wrong and
// what would be right. zod's own messages ("Invalid input") say neither.
import type { z } from 'zod';
import type { ConfigProblem } from '../errors';
import { propertiesOf, subschemaAt, typedOptions, type JsonSchema } from './json-schema';
import { closest, didYouMean, listNames } from './suggest';
import { formatPath, locate, type YamlSource } from './yaml-source';

type Issue = z.core.$ZodIssue;
const KIND: Record<string, string> = { sources: 'source', transforms: 'transform', sinks: 'sink' };

export function issuesToProblems(issues: readonly Issue[], source: YamlSource, js: JsonSchema, data: unknown): ConfigProblem[] {
  return issues.flatMap((issue) => issueToProblems(issue, source, js, data));
}

function issueToProblems(issue: Issue, source: YamlSource, js: JsonSchema, data: unknown): ConfigProblem[] {
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  const at = (message: string, p = path, onKey = false): ConfigProblem => ({ ...locate(source, p, onKey), path: formatPath(p), message });
  const value = valueAt(data, path);
  const node = subschemaAt(js, path, data);

  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = Object.keys(propertiesOf(node) ?? {});
      return issue.keys.map((key) => {
        const hint = didYouMean(key, allowed) || (allowed.length ? `; allowed here: ${listNames(allowed)}` : '');
        return at(`unknown field \`${key}\`${hint}`, [...path, key], true);
      });
    }
    case 'invalid_union': {
      if (issue.discriminator !== undefined && issue.errors.length === 0) {
        const message = unknownTypeMessage(path, value, subschemaAt(js, path.slice(0, -1), undefined));
        return [value === undefined ? at(message, path.slice(0, -1), true) : at(message)];
      }
      return [at(`expected ${expectation(node)}, got ${show(value)}`)];
    }
    case 'invalid_type': {
      if (value === undefined) return [at(`\`${String(path.at(-1))}\` is required: ${expectation(node)}${describe(node)}`)];
      const quote = issue.expected === 'string' && (typeof value === 'number' || typeof value === 'boolean') ? `; quote it: "${String(value)}"` : '';
      return [at(`expected ${expectation(node) || issue.expected}, got ${show(value)}${quote}`)];
    }
    case 'invalid_value': {
      const allowed = issue.values.map(String);
      return [at(`${show(value)} is not allowed; use one of ${listNames(allowed)}${typeof value === 'string' ? didYouMean(value, allowed) : ''}`)];
    }
    case 'invalid_format': {
      const what = issue.format === 'url' ? 'a URL such as http://127.0.0.1:9200' : issue.format === 'regex' ? issue.message : `a valid ${issue.format}`;
      return [at(`${show(value)} is not ${what}`)];
    }
    case 'too_small':
      return [at(tooSmall(issue, value))];
    case 'too_big':
      return [at(`${show(value)} is too large; ${issue.inclusive === false ? 'it must be less than' : 'the maximum is'} ${String(issue.maximum)}${issue.origin === 'array' ? ' entries' : ''}`)];
    default:
      return [at(issue.message)];
  }
}

function unknownTypeMessage(path: ReadonlyArray<string | number>, value: unknown, union: JsonSchema | undefined): string {
  const kind = KIND[String(path[0])] ?? 'component';
  const types = [...(typedOptions(union)?.keys() ?? [])];
  if (value === undefined) return `\`type\` is missing; every ${kind} needs one of ${listNames(types)}`;
  const guess = typeof value === 'string' ? closest(value, types) : undefined;
  const head = `unknown ${kind} type ${show(value)}`;
  return guess ? `${head}; did you mean \`${guess}\`? Valid types: ${listNames(types)}` : `${head}; valid types: ${listNames(types)}`;
}

function tooSmall(issue: z.core.$ZodIssueTooSmall, value: unknown): string {
  const min = String(issue.minimum);
  if (issue.origin === 'array') return `needs at least ${min} ${issue.minimum === 1 ? 'entry' : 'entries'}`;
  if (issue.origin === 'string') return issue.minimum === 1 ? 'must not be empty' : `must be at least ${min} characters long`;
  return issue.inclusive === false ? `${show(value)} is too small; it must be greater than ${min}` : `${show(value)} is too small; the minimum is ${min}`;
}

/** What the schema wants here, in words: `a duration such as 15s`, `a string`, `one of \`a\`, \`b\``. */
function expectation(node: JsonSchema | undefined): string {
  if (!node) return '';
  if (node.format === 'duration') return 'a duration such as 500ms, 15s, 5m or 1h30m (or a number of milliseconds)';
  if (node.format === 'size') return 'a size such as 512KiB, 256MiB or 1GiB (or a number of bytes)';
  if (node.enum) return `one of ${listNames(node.enum.map(String))}`;
  if (node.const !== undefined) return `\`${String(node.const)}\``;
  const t = Array.isArray(node.type) ? node.type[0] : node.type;
  switch (t) {
    case 'string':
      return node.format === 'uri' ? 'a URL' : 'a string';
    case 'integer':
      return 'a whole number';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'true or false';
    case 'array':
      return 'a list';
    case 'object':
      return typedOptions(node) ? 'a mapping with a `type`' : 'a mapping of key: value';
    default: {
      const alts = (node.anyOf ?? node.oneOf ?? []).map(expectation).filter(Boolean);
      return alts.length ? [...new Set(alts)].join(' or ') : '';
    }
  }
}

function describe(node: JsonSchema | undefined): string {
  return node?.description ? ` (${node.description.replace(/\.$/, '')})` : '';
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return JSON.stringify(value);
}

export function valueAt(data: unknown, path: ReadonlyArray<string | number>): unknown {
  let v = data;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}
