// Prometheus-style staleness for polled sources: remember which series each group (a scrape target, a host
// collector) produced last round, and when one is missing this round, emit a staleness marker for it once.
// Remote-write sinks turn `stale: true` into the Prometheus stale NaN, so a vanished series ends at once instead
// of lingering for five minutes in queries.
import type { Labels, MetricType, Sample } from '../../model';

/** What the tracker needs to rebuild a series' identity for its stale marker. */
export interface SeriesRef {
  name: string;
  labels: Labels;
  metricType?: MetricType;
}

export class StaleTracker {
  private readonly last = new Map<string, Map<string, SeriesRef>>();

  /** Groups that produced series last round. */
  groups(): string[] {
    return [...this.last.keys()];
  }

  /** True when the group produced this series (by `seriesKey`) last round. */
  has(group: string, key: string): boolean {
    return this.last.get(group)?.has(key) ?? false;
  }

  /**
   * Replaces the group's series with this round's (`seriesKey` → series) and returns one stale marker per series
   * the group had last round and no longer has.
   */
  replace(group: string, current: Map<string, SeriesRef>, timestampMs: number): Sample[] {
    const previous = this.last.get(group);
    this.last.set(group, current);
    if (!previous) return [];
    const markers: Sample[] = [];
    for (const [key, ref] of previous) if (!current.has(key)) markers.push(staleMarker(ref, timestampMs));
    return markers;
  }

  /** The group is gone (target vanished): a stale marker for each of its series, then it is forgotten. */
  end(group: string, timestampMs: number): Sample[] {
    const previous = this.last.get(group);
    this.last.delete(group);
    return previous ? [...previous.values()].map((ref) => staleMarker(ref, timestampMs)) : [];
  }
}

/** The staleness marker that ends series `ref`. */
export function staleMarker(ref: SeriesRef, timestampMs: number): Sample {
  const marker: Sample = { kind: 'sample', name: ref.name, labels: ref.labels, value: Number.NaN, timestampMs, stale: true };
  if (ref.metricType) marker.metricType = ref.metricType;
  return marker;
}
