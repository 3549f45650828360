// The effective config as `check` prints it: defaults filled in, secrets masked, durations and sizes written
// back with units (15s, not 15000) so the output is itself a valid config.
import { stringify } from 'yaml';
import { subschemaAt, type JsonSchema } from './json-schema';
import { maskSecrets } from './mask';
import type { AgentConfig } from './schema';

const DURATION_STEPS: Array<[string, number]> = [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]];
const SIZE_STEPS: Array<[string, number]> = [['TiB', 1024 ** 4], ['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]];

/** 90000 → `1m30s`, 500 → `500ms`, 0 → `0s`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (!Number.isInteger(ms)) return `${ms}ms`;
  let rest = ms;
  let out = '';
  for (const [unit, size] of DURATION_STEPS) {
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return out;
}

/** 268435456 → `256MiB`; sizes that are not a whole number of a binary unit stay plain bytes. */
export function formatSize(bytes: number): string | number {
  for (const [unit, size] of SIZE_STEPS) if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  return bytes;
}

/** The YAML text of the effective config. */
export function renderEffectiveConfig(config: AgentConfig, js: JsonSchema, secretPaths: readonly string[] = []): string {
  const walk = (value: unknown, path: Array<string | number>): unknown => {
    if (typeof value === 'number') {
      const node = subschemaAt(js, path, config);
      if (node?.format === 'duration') return formatDuration(value);
      if (node?.format === 'size') return formatSize(value);
      return value;
    }
    if (Array.isArray(value)) return value.map((v, i) => walk(v, [...path, i]));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, [...path, k])]));
    }
    return value;
  };
  return stringify(walk(maskSecrets(config, secretPaths), []), { lineWidth: 0 });
}

export type { JsonSchema };
