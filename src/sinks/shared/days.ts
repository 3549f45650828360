// UTC day arithmetic for sinks that store data in one index / partition per day (OpenSearch daily indices,
// PostgreSQL daily partitions). Days are UTC so every agent in a fleet cuts at the same instant.
export const DAY_MS = 86_400_000;

/** Start of the UTC day holding `ms`. */
export function dayStart(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/** `2026.11.24` with `sep='.'`, `20261124` with `sep=''`. */
export function formatDay(ms: number, sep: string): string {
  const d = new Date(dayStart(ms));
  return d.getUTCFullYear() + sep + String(d.getUTCMonth() + 1).padStart(2, '0') + sep + String(d.getUTCDate()).padStart(2, '0');
}

/** Inverse of formatDay: the day's start in ms, or undefined when `text` is not such a day. */
export function parseDay(text: string, sep: string): number | undefined {
  const esc = sep.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`^(\\d{4})${esc}(\\d{2})${esc}(\\d{2})$`).exec(text);
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return formatDay(ms, sep) === text ? ms : undefined;
}

/**
 * Whether a day (its start in ms) is past retention: kept are today and the `retentionDays - 1` days before it,
 * so `retention_days: 7` keeps a full week of days. 0 keeps everything.
 */
export function isExpiredDay(dayStartMs: number, retentionDays: number, now = Date.now()): boolean {
  if (retentionDays <= 0) return false;
  return dayStartMs < dayStart(now) - (retentionDays - 1) * DAY_MS;
}
