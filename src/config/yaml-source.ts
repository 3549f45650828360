// The YAML side of the loader: parse with positions, and map a field path (`sinks.search.url`) back to the
// file:line:column where the user wrote it, so every message points at the right spot.
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { ConfigLocation, ConfigProblem } from '../errors';

export type FieldPath = ReadonlyArray<string | number>;

export interface YamlSource {
  file: string;
  text: string;
  doc: Document.Parsed;
  lines: LineCounter;
}

/** Parses the text; syntax errors come back as problems carrying the parser's position. */
export function parseYaml(text: string, file: string): { source: YamlSource; problems: ConfigProblem[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, merge: true });
  const source = { file, text, doc, lines };
  const problems = doc.errors.map((e) => ({
    ...position(source, e.pos[0]),
    path: '',
    message: `YAML syntax error: ${e.message.split('\n')[0]!.replace(/\.?$/, '')} (${e.code})`,
  }));
  return { source, problems };
}

export function position(source: YamlSource, offset: number): ConfigLocation {
  const { line, col } = source.lines.linePos(offset);
  return { file: source.file, line, column: col };
}

/** `sinks.search.inputs[0]` */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out;
}

interface Found {
  /** The deepest node that exists on the path. */
  node: Node | null;
  /** The key node of the last pair walked. */
  key: Node | null;
  /** True when every step of the path exists. */
  complete: boolean;
}

function walk(source: YamlSource, path: FieldPath): Found {
  let node = source.doc.contents as Node | null;
  let key: Node | null = null;
  for (const step of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && (isScalar(p.key) ? p.key.value : p.key) === step);
      if (!pair) return { node, key, complete: false };
      key = isScalar(pair.key) ? pair.key : null;
      node = (pair.value as Node | null) ?? key;
    } else if (isSeq(node) && typeof step === 'number' && step < node.items.length) {
      key = null;
      node = node.items[step] as Node;
    } else {
      return { node, key, complete: false };
    }
  }
  return { node, key, complete: true };
}

/** Where the value at `path` is written; `onKey` points at its key instead (for unknown keys). */
export function locate(source: YamlSource, path: FieldPath, onKey = false): ConfigLocation {
  const found = walk(source, path);
  // A missing field points at the key of the mapping that should hold it (`search:`), a present one at its value.
  const node = (onKey || !found.complete) && found.key ? found.key : found.node;
  if (node?.range) return position(source, node.range[0]);
  return { file: source.file, line: 1, column: 1 };
}
