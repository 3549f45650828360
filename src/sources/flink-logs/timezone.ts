// Flink's log4j layout writes wall-clock time without a zone (JVM-local). ZoneClock turns such a wall time into
// epoch milliseconds for a configured IANA zone with Intl only (no tz library), DST included.
// Lookups are cached per wall-clock hour because Intl is slow (~µs) and the parser runs at >150k lines/s;
// every zone in use today changes its offset on a whole hour of wall time except a handful of :30 shifts.
// Without a configured zone (the usual case: agent and JVM share the host's zone) the offsets come from Date's
// local time instead: an Intl.DateTimeFormat pulls ICU's zone and calendar data into the process, ~8 MB of RSS
// that the idle daemon would carry for nothing (issue 2's footprint).

const MAX_CACHE = 2048;

export class ZoneClock {
  /** The configured IANA zone; undefined = the process's local zone (TZ or /etc/localtime), as the JVM's default. */
  readonly timeZone: string | undefined;
  private readonly fmt: Intl.DateTimeFormat | undefined;
  private readonly offsetByHour = new Map<number, number>();

  /** Throws RangeError for an unknown zone; the schema checks the name with `isValidTimeZone` first. */
  constructor(timeZone?: string) {
    this.timeZone = timeZone;
    this.fmt = timeZone === undefined ? undefined : new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23',
      year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
  }

  /** Wall time in this zone → epoch ms. Month is 1-based. */
  toEpochMs(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number {
    const wall = Date.UTC(y, mo - 1, d, h, mi, s, ms);
    const key = ((y * 100 + mo) * 100 + d) * 100 + h;
    let off = this.offsetByHour.get(key);
    if (off === undefined) {
      off = this.resolveOffset(Date.UTC(y, mo - 1, d, h));
      if (this.offsetByHour.size >= MAX_CACHE) this.offsetByHour.clear();
      this.offsetByHour.set(key, off);
    }
    return wall - off;
  }

  /**
   * Offset to subtract from a wall time read as UTC. Two candidates: the offsets 12 h before and after.
   * Both valid → an autumn overlap: take the earlier instant (the first pass through the repeated hour).
   * None valid → a spring gap: use the offset before the change, which moves the time forward by the gap,
   * as java.time does for a nonexistent local time.
   */
  private resolveOffset(wallAsUtc: number): number {
    const before = this.offsetAt(wallAsUtc - 12 * 3_600_000);
    const after = this.offsetAt(wallAsUtc + 12 * 3_600_000);
    const valid = [before, after].filter((o) => this.offsetAt(wallAsUtc - o) === o);
    if (valid.length === 0) return before;
    return Math.max(...valid); // larger offset = earlier instant
  }

  /** Zone offset (ms, east positive) at an instant. */
  offsetAt(utcMs: number): number {
    // Local zones today are whole minutes off UTC, which is what getTimezoneOffset() resolves.
    if (!this.fmt) return -new Date(utcMs).getTimezoneOffset() * 60_000;
    const p = this.fmt.formatToParts(new Date(utcMs));
    const get = (t: Intl.DateTimeFormatPartTypes) => Number(p.find((x) => x.type === t)!.value);
    const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
    return asUtc - Math.floor(utcMs / 1000) * 1000;
  }
}

export function isValidTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
