// The samples of one collect round, in one array made at the size the last round reached instead of grown by push.
// The round's array outlives several scavenges (it goes to the pipeline), so V8 promotes it, and before that
// each copy a growth left behind was promoted garbage as well (~0.2 MB per round at 4 × 2,200 series).

import type { Sample } from '../../model';

export class SampleRows {
  private readonly items: Sample[];
  /** Rows filled so far. */
  length = 0;

  constructor(expected: number) {
    this.items = new Array<Sample>(expected);
  }

  push(sample: Sample): void {
    this.items[this.length++] = sample;
  }

  /** Replaces the sample of row `row` (< length). */
  set(row: number, sample: Sample): void {
    this.items[row] = sample;
  }

  get(row: number): Sample {
    return this.items[row]!;
  }

  /** The filled rows as an array; this object is not used after. Shortening an array drops its end in place. */
  done(): Sample[] {
    this.items.length = this.length;
    return this.items;
  }
}
