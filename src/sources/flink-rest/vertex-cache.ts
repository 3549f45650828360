// The two caches that keep per-vertex polling cheap:
//  - metric-name lists (the `…/subtasks/metrics` call without `get=`), refreshed rarely once they look complete;
//  - metric values, re-used while younger than metrics_min_interval, because the JobManager's metric store only
//    refreshes every metrics.fetcher.update-interval: asking sooner returns the same numbers at a cost.

/** A name list that lacks the busy-time metrics was taken while the task was still starting: ask again soon. */
const NAME_LIST_REFRESH_MS = 5 * 60_000;
/** Scheduling jitter: a round that comes a little early still counts as "one interval later". */
const JITTER_MS = 500;

interface Entry<T> {
  value: T;
  fetchedAt: number;
}

export class TimedCache<T> {
  private readonly entries = new Map<string, Entry<T>>();

  /** The cached value when it is younger than `maxAgeMs` (minus scheduling jitter), else undefined. */
  fresh(key: string, now: number, maxAgeMs: number | ((value: T) => number)): T | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    const limit = typeof maxAgeMs === 'number' ? maxAgeMs : maxAgeMs(e.value);
    return now - e.fetchedAt + JITTER_MS < limit ? e.value : undefined;
  }

  set(key: string, value: T, now: number): void {
    this.entries.set(key, { value, fetchedAt: now });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  /** Drops every entry whose key does not start with one of `prefixes` (jobs no longer running). */
  retainPrefixes(prefixes: Set<string>): void {
    for (const key of this.entries.keys()) if (!prefixes.has(key.slice(0, key.indexOf('/') + 1))) this.entries.delete(key);
  }
}

/** How long a vertex's metric-name list stays good: long when complete, one metric interval when not. */
export function nameListMaxAge(ids: string[], metricsMinIntervalMs: number): number {
  return ids.includes('busyTimeMsPerSecond') ? NAME_LIST_REFRESH_MS : metricsMinIntervalMs;
}
