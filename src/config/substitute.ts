// `${VAR}`, `${VAR:-default}`, `${file:/path}` and `$$` in YAML values. Substitution runs on the parsed
// document, value by value, rather than on the raw text: a secret with a newline or a `: ` cannot break the YAML,
// and every error still knows the file, line, column and field it came from.
import { readFileSync } from 'node:fs';
import { isMap, isPair, isScalar, isSeq, parse as parseYamlScalar, type Node, type Scalar } from 'yaml';
import type { ConfigProblem } from '../errors';
import { formatPath, position, type FieldPath, type YamlSource } from './yaml-source';

export interface SubstitutionResult {
  problems: ConfigProblem[];
  /** Field paths whose value came (partly) from a `${file:…}` secret; masked when the config is printed. */
  secretPaths: string[];
  /** How many references were resolved. */
  count: number;
}

const REFERENCE = /\$\$|\$\{([^}]*)\}|\$\{/g;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Replaces references in every string value of the document, in place. */
export function substitute(source: YamlSource, env: NodeJS.ProcessEnv): SubstitutionResult {
  const result: SubstitutionResult = { problems: [], secretPaths: [], count: 0 };
  visit(source, source.doc.contents as Node | null, [], env, result);
  return result;
}

function visit(source: YamlSource, node: Node | null, path: FieldPath, env: NodeJS.ProcessEnv, out: SubstitutionResult): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const key = isScalar(pair.key) ? pair.key.value : pair.key;
      visit(source, pair.value as Node | null, [...path, String(key)], env, out);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => visit(source, item as Node, [...path, i], env, out));
  } else if (isScalar(node) && typeof node.value === 'string' && node.value.includes('$')) {
    substituteScalar(source, node, path, env, out);
  }
}

function substituteScalar(source: YamlSource, node: Scalar, path: FieldPath, env: NodeJS.ProcessEnv, out: SubstitutionResult): void {
  const raw = node.value as string;
  const written = node.range ? source.text.slice(node.range[0], node.range[1]) : '';
  let searchFrom = 0;
  let secret = false;
  let failed = false;
  const problem = (token: string, message: string) => {
    // Point at the reference itself when it appears verbatim in the source (it does unless YAML escapes hid it).
    const at = written.indexOf(token, searchFrom);
    const offset = node.range ? node.range[0] + Math.max(at, 0) : 0;
    out.problems.push({ ...position(source, offset), path: formatPath(path), message });
    failed = true;
  };
  const value = raw.replace(REFERENCE, (token: string, body: string | undefined) => {
    const found = written.indexOf(token, searchFrom);
    try {
      if (token === '$$') return '$';
      if (body === undefined) {
        problem(token, 'unterminated `${`; close it with `}`, or write `$$` for a literal `$`');
        return token;
      }
      out.count++;
      if (body.startsWith('file:')) {
        secret = true;
        return readSecret(body.slice(5), (m) => problem(token, m));
      }
      const [name, fallback] = splitDefault(body);
      if (!ENV_NAME.test(name)) {
        problem(token, `\`${token}\` is not a valid reference; write \${VAR}, \${VAR:-default} or \${file:/path/to/secret} (or $$ for a literal $)`);
        return token;
      }
      const v = env[name];
      if (v !== undefined && (v !== '' || fallback === undefined)) return v;
      if (fallback !== undefined) return fallback;
      problem(token, `environment variable ${name} is not set; set it, or give a default with \${${name}:-value}`);
      return token;
    } finally {
      if (found >= 0) searchFrom = found + token.length;
    }
  });
  if (failed) return;
  if (secret) out.secretPaths.push(formatPath(path));
  node.value = node.type === 'PLAIN' ? retype(value) : value;
}

function splitDefault(body: string): [string, string | undefined] {
  const i = body.indexOf(':-');
  return i < 0 ? [body, undefined] : [body.slice(0, i), body.slice(i + 2)];
}

function readSecret(file: string, fail: (message: string) => void): string {
  if (!file) {
    fail('`${file:}` names no file; write ${file:/path/to/secret}');
    return '';
  }
  try {
    // One trailing newline is what editors and `echo` add; the secret never contains it.
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    fail(`cannot read secret file ${file} (${code}); check the path and that the agent's user may read it`);
    return '';
  }
}

/** An unquoted `port: ${PORT}` should be the number 9200, as if the user had written it: re-read it as YAML. */
function retype(value: string): unknown {
  if (value.includes('\n')) return value;
  try {
    const v: unknown = parseYamlScalar(value);
    return typeof v === 'number' || typeof v === 'boolean' ? v : value;
  } catch {
    return value;
  }
}
