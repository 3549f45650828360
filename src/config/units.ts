// Durations (`15s`, `5m`, `250ms`) and sizes (`256MiB`, `10MB`) as administrators write them in YAML.
// Both parse to plain numbers (milliseconds, bytes) so components never see strings.
import { z } from 'zod';

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const SIZE_UNITS: Record<string, number> = {
  b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12,
  kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4,
};

/** `1h30m`, `15s`, `250ms`, `2d` → milliseconds; undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d))+$/.test(s)) return undefined;
  let total = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
  return Math.round(total);
}

/** `256MiB`, `10 MB`, `4096` → bytes; undefined when the text is not a size. */
export function parseSize(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)?$/i.exec(text.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * SIZE_UNITS[(m[2] ?? 'b').toLowerCase()]!);
}

/** A duration field: a string with a unit (`15s`, `5m`, `1h30m`, `250ms`) or a number of milliseconds. */
export function duration() {
  return z
    .union([z.number().nonnegative(), z.string()])
    .transform((v, ctx) => {
      if (typeof v === 'number') return v;
      const ms = parseDuration(v);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration; write a number with a unit such as 500ms, 15s, 5m, 1h or 1h30m` });
        return z.NEVER;
      }
      return ms;
    })
    .meta({ format: 'duration' });
}

/** A size field: a string with a unit (`256MiB`, `10MB`, `64KiB`) or a number of bytes. */
export function size() {
  return z
    .union([z.number().nonnegative(), z.string()])
    .transform((v, ctx) => {
      if (typeof v === 'number') return v;
      const bytes = parseSize(v);
      if (bytes === undefined) {
        ctx.addIssue({ code: 'custom', message: `"${v}" is not a size; write a number with a unit such as 512KiB, 256MiB, 10MB or 1GiB` });
        return z.NEVER;
      }
      return bytes;
    })
    .meta({ format: 'size' });
}
