// One target's series from round to round: which sample of a scrape each series keeps (the collision rule), which
// series `series_limit` lets through, and which series ended (stale markers).
//
// Why one long-lived Map updated in place rather than a fresh `key → sample` Map per scrape: a Map of 2,000+
// series, built every round and held until the next one (for the stale markers), always survives long enough for
// V8 to promote it to the old generation, and so do the samples it holds. At 1 s scrapes of 4 TaskManagers that
// was ~1.5 MB/s of promoted Map tables and samples, paid back by a full mark-compact every second. Here a series
// has one entry for as long as its target reports it; a round only writes numbers into the entries (round stamps,
// the row of its sample), so a steady scrape allocates nothing in this module, and no sample is kept past its round.
import type { Labels, MetricType, Sample } from '../../model';
import { staleMarker } from '../shared/stale-tracker';
import type { SampleRows } from './sample-rows';
import type { ShapedSeries } from './series';

interface Entry {
  name: string;
  labels: Labels;
  metricType: MetricType | undefined;
  /** The last round whose scrape held the series (emitted or not). */
  seen: number;
  /** The last round the series was emitted in: a stale marker is due when that was the round before. */
  emitted: number;
  /** In the round it was last seen: where its sample sits in the output (-1: not emitted), and its task attempt. */
  row: number;
  attempt: number;
}

/** What `addPage` did with one scrape's samples. */
export interface PageResult {
  /** Series emitted. */
  kept: number;
  /** Samples dropped because their series was already in the scrape (see `addPage`), and the first such key. */
  collisions: number;
  firstCollision: string | undefined;
  /** Series `admit` refused, and the first such key. */
  refused: number;
  firstRefused: string | undefined;
}

export class SeriesBook {
  private readonly entries = new Map<string, Entry>();
  private round = 0;

  /** Starts a round: what is added until the next `sweep` is this round's. */
  begin(): void {
    this.round++;
  }

  /**
   * Appends one scrape's samples (`samples[i]` of series `series[i]`) to `out`, one per series; `admit(key)` is
   * asked for each series of the scrape and may refuse it (series_limit).
   * Collision rule: when dropping labels makes two samples of one scrape the same series (two attempts of one
   * subtask during a failover, the only case with Flink's labels), we keep the sample with the higher
   * `task_attempt_num` — the live attempt — or else the first one, and count the other. Merging them (a sum,
   * an average) would invent a value Flink never reported. Different TaskManagers never collide: `tm_id` stays.
   */
  addPage(series: readonly ShapedSeries[], samples: readonly Sample[], out: SampleRows, admit: (key: string) => boolean): PageResult {
    const round = this.round;
    const result: PageResult = { kept: 0, collisions: 0, firstCollision: undefined, refused: 0, firstRefused: undefined };
    for (let i = 0; i < series.length; i++) {
      const s = series[i]!;
      const sample = samples[i]!;
      const e = this.entry(s.key, sample);
      if (e.seen === round) {
        result.collisions++;
        result.firstCollision ??= s.key;
        // Attempts only differ when drop_labels removed task_attempt_num; -1 everywhere keeps the first.
        if (s.attempt > e.attempt) {
          e.attempt = s.attempt;
          if (e.row >= 0) this.emit(e, sample, out, e.row);
        }
        continue;
      }
      e.seen = round;
      e.attempt = s.attempt;
      if (admit(s.key)) {
        this.emit(e, sample, out, out.length);
        result.kept++;
      } else {
        e.row = -1;
        result.refused++;
        result.firstRefused ??= s.key;
      }
    }
    return result;
  }

  /** Appends a sample the source makes itself (`up`, …): it replaces a scraped sample of the same series, like a Map set. */
  put(key: string, sample: Sample, out: SampleRows): void {
    const e = this.entry(key, sample);
    const replaces = e.seen === this.round && e.row >= 0;
    e.seen = this.round;
    e.attempt = -1;
    this.emit(e, sample, out, replaces ? e.row : out.length);
  }

  /**
   * Ends the round: a stale marker in `out` for each series emitted last round and not this one, and forgets the
   * series this round's scrape did not hold; `ended(key)` is told of each marker.
   */
  sweep(timestampMs: number, out: SampleRows, ended: (key: string) => void): void {
    const round = this.round;
    this.entries.forEach((e, key) => {
      if (e.emitted === round - 1) {
        out.push(staleMarker(e, timestampMs));
        ended(key);
      }
      // Deleting the current entry inside forEach is safe: iteration continues with the next one.
      if (e.seen !== round) this.entries.delete(key);
    });
  }

  /** The target is gone: a stale marker for each series emitted in its last round. The book is not used after. */
  end(timestampMs: number, out: SampleRows, ended: (key: string) => void): void {
    this.entries.forEach((e, key) => {
      if (e.emitted !== this.round) return;
      out.push(staleMarker(e, timestampMs));
      ended(key);
    });
    this.entries.clear();
  }

  private entry(key: string, sample: Sample): Entry {
    let e = this.entries.get(key);
    if (e === undefined) {
      // -1: never, so a new series is neither a collision (`seen`) nor due a marker (`emitted`) in its first round.
      e = { name: sample.name, labels: sample.labels, metricType: undefined, seen: -1, emitted: -1, row: -1, attempt: -1 };
      this.entries.set(key, e);
    }
    return e;
  }

  private emit(e: Entry, sample: Sample, out: SampleRows, row: number): void {
    if (row === out.length) out.push(sample);
    else out.set(row, sample);
    e.row = row;
    e.emitted = this.round;
    // The marker carries the type of the last sample, which a changed # TYPE line may change.
    e.metricType = sample.metricType;
  }
}
