// Reads one target's exposition into samples, remembering every series between scrapes.
//
// A Flink reporter writes the same series in the same order on every scrape; only the values change. So the
// memo keeps the previous body and, per line, what that line's series became (a ShapedSeries: labels with the
// agent's added, key, frozen). A line whose series text (`name{…}`, everything before the value) has the same
// bytes as the line expected at that place last time reuses that series: one memcmp, then only the value is
// read. Any other line is parsed in full (parse.ts) and shaped (series.ts); if its series key is one the memo
// holds (the line moved because lines before it vanished), the held series is reused and the expected place
// moves to its old successor, so one vanished line does not make every later line miss. This turns ~4 µs of
// parsing, shaping and label objects per sample into a comparison, and the stable, shared label objects let
// sinks cache per series by identity.
//
//   previous body ── line k ──► entry{series, at, len} ◄── same bytes? ── current line (expected: k)
//                                      ▲
//   byKey: series key ────────────────┘  (a line that moved, after a full parse)
//
// OpenMetrics pages are read line by line without the memo: exemplars (` # {…} v`) after the value would make
// "everything before the value" ambiguous to a backwards scan, and Flink serves text 0.0.4, which we ask for.
import type { MetricType, Sample } from '../../model';
import { Families, looksLikeOpenMetrics, newScan, parseDecimal, parseLine, parseValue, Problems, readValue, type ParsedSample, type ParseProblem, type Scan, type ValueSlot } from './parse';
import { PageBuffers } from './page-buffers';
import type { SeriesShaper, ShapedSeries } from './series';

export interface MemoRead {
  /** Series of the samples kept (after include/exclude): `samples[i]` belongs to `series[i]`. */
  series: ShapedSeries[];
  samples: Sample[];
  /** Sample lines read, before include/exclude (Prometheus' scrape_samples_scraped). */
  scraped: number;
  /** Lines that did not parse (each skipped). */
  errors: number;
  firstError?: ParseProblem;
}

interface LineEntry {
  /** undefined when include/exclude leave the name out: the line is still recognised, then skipped. */
  series: ShapedSeries | undefined;
  /** The series text (everything before the value) in the body it was last seen in: [at, at + len). */
  at: number;
  len: number;
  /** Its place among the sample lines of that body. */
  index: number;
  /** The read that last saw it. */
  epoch: number;
}

const NL = 10, CR = 13, SPACE = 32, TAB = 9, HASH = 35, RBRACE = 125;

export class ScrapeMemo {
  private body: Buffer = Buffer.alloc(0);
  private readonly pages = new PageBuffers();
  private lines: LineEntry[] = [];
  /**
   * The array before `lines`, refilled by the next read. Every array here is made at its final size or reused,
   * never grown by push: a page-sized array lives through the round, so V8 promotes it to the old generation, and
   * each copy a growth leaves behind was promoted garbage too (~0.5 MB per round at 4 × 2,200 series).
   */
  private spare: LineEntry[] = [];
  /** Samples the last read gave: the size of the next read's arrays. */
  private kept = 0;
  /** Samples this read gave so far: the next free place in the arrays of its MemoRead. */
  private count = 0;
  /** Series key → entry, to recognise a line that is not where it was last time. */
  private readonly byKey = new Map<string, LineEntry>();
  private epoch = 0;
  private readonly slot: ValueSlot = { value: 0, timestampMs: undefined };

  constructor(private readonly shaper: SeriesShaper) {}

  /** Where to collect the next page: a reused buffer that is not the one `body` (the page read last) is in. */
  nextPage(): PageBuffers {
    return this.pages.begin(this.body);
  }

  /** `openMetrics` from the content type; guessed from a final `# EOF` when undefined, as parseExposition does. */
  read(body: Buffer, openMetrics: boolean | undefined, scrapeMs: number): MemoRead {
    const om = openMetrics ?? looksLikeOpenMetrics(body.toString('latin1', Math.max(0, body.length - 16)));
    const scan = newScan(om, this.shaper.dropLabels);
    const families = new Families();
    const problems = new Problems();
    const out: MemoRead = { series: new Array<ShapedSeries>(this.kept), samples: new Array<Sample>(this.kept), scraped: 0, errors: 0 };
    this.count = 0;
    const epoch = ++this.epoch;
    const prevBody = this.body;
    const prev = this.lines;
    const lines = this.spare;
    let lineCount = 0;
    let expected = 0; // index in `prev` of the line we expect next
    let filtered = 0; // lines of names include/exclude leave out: never in byKey
    let lineNo = 0;
    let pos = 0;
    const len = body.length;

    while (pos < len) {
      let end = body.indexOf(NL, pos);
      if (end < 0) end = len;
      lineNo++;
      const start = pos;
      pos = end + 1;
      let stop = end;
      if (stop > start && body[stop - 1] === CR) stop--;
      if (stop === start) continue;
      const first = body[start]!;
      try {
        if (first === HASH && !om && !families.sawEof && isHelp(body, start, stop)) continue; // text for humans: skipped undecoded
        if (om || first === SPACE || first === TAB || first === HASH || families.sawEof) {
          // Comments (# TYPE sets the family), indented lines and OpenMetrics: the plain line parser, no memo.
          const parsed = parseText(body, start, stop, scan, families);
          if (parsed) this.emit(out, this.shaper.describe(parsed), parsed, scrapeMs);
          continue;
        }
        const textEnd = seriesEnd(body, start, stop);
        const textLen = textEnd - start;
        let entry = prev[expected];
        if (entry !== undefined && entry.len === textLen && entry.epoch !== epoch && body.compare(prevBody, entry.at, entry.at + textLen, start, textEnd) === 0) {
          expected++;
          this.readValue(body, textEnd, stop, om);
        } else {
          entry = this.recognise(parseText(body, start, stop, scan, families)!, epoch);
          // A held line from the last read that is not where expected: lines before it vanished or moved.
          if (entry.epoch === epoch - 1) expected = entry.index + 1;
        }
        entry.at = start;
        entry.len = textLen;
        entry.index = lineCount;
        entry.epoch = epoch;
        lines[lineCount++] = entry;
        out.scraped++;
        if (entry.series !== undefined) this.push(out, entry.series, families, scrapeMs);
        else filtered++;
      } catch (err) {
        problems.add(err, lineNo, () => body.toString('utf8', start, Math.min(stop, start + 200)));
      }
    }

    this.body = body;
    // Shortening an array drops its end in place (no copy).
    lines.length = lineCount;
    this.lines = lines;
    this.spare = prev;
    out.series.length = out.samples.length = this.kept = this.count;
    // Forget series that were not in this page (a job ended, a task moved): the memo holds one page's worth.
    if (this.byKey.size > lineCount - filtered) for (const [key, e] of this.byKey) if (e.epoch !== epoch) this.byKey.delete(key);
    out.errors = problems.errors;
    if (problems.first) out.firstError = problems.first;
    return out;
  }

  /**
   * The entry of a line read in full: the held one when its series is known and not yet seen in this read,
   * else a new one. Sets the value slot from the line.
   */
  private recognise(parsed: ParsedSample, epoch: number): LineEntry {
    this.slot.value = parsed.value;
    this.slot.timestampMs = parsed.timestampMs;
    const series = this.shaper.describe(parsed);
    if (series === undefined) return { series, at: 0, len: 0, index: 0, epoch: -1 };
    const held = this.byKey.get(series.key);
    // Same key but another task attempt is another line (see SeriesBook.addPage), not this one moved.
    if (held !== undefined && held.epoch !== epoch && held.series!.attempt === series.attempt) return held;
    const entry: LineEntry = { series, at: 0, len: 0, index: 0, epoch: -1 };
    // A key already seen in this read is the same series twice in one page: SeriesBook.addPage counts the collision.
    if (held === undefined || held.epoch !== epoch) this.byKey.set(series.key, entry);
    return entry;
  }

  /**
   * Value and timestamp after the series text, into `this.slot`. The usual tail is one blank and the value: a plain
   * decimal is read from the bytes; another value (NaN, +Inf, …) is decoded alone (values are ASCII, so latin1 is
   * exact) and parsed; anything else takes the line parser's path.
   */
  private readValue(body: Buffer, from: number, stop: number, om: boolean): void {
    const slot = this.slot;
    slot.timestampMs = undefined;
    if (body[from] === SPACE) {
      let k = from + 1;
      while (k < stop && body[k] !== SPACE && body[k] !== TAB) k++;
      if (k === stop && k > from + 1) {
        const decimal = parseDecimal(body, from + 1, stop);
        slot.value = Number.isNaN(decimal) ? parseValue(body.toString('latin1', from + 1, stop)) : decimal;
        return;
      }
    }
    const tail = body.toString('latin1', from, stop);
    readValue(tail, 0, tail.length, om, slot);
  }

  private push(out: MemoRead, series: ShapedSeries, families: Families, scrapeMs: number): void {
    this.add(out, series, sample(series, this.slot.value, this.slot.timestampMs ?? scrapeMs, families.typeOf(series.name)));
  }

  private add(out: MemoRead, series: ShapedSeries, sample: Sample): void {
    out.series[this.count] = series;
    out.samples[this.count++] = sample;
  }

  /** A sample read by the plain line parser (not remembered). */
  private emit(out: MemoRead, series: ShapedSeries | undefined, parsed: ParsedSample, scrapeMs: number): void {
    out.scraped++;
    if (series === undefined) return;
    this.add(out, series, sample(series, parsed.value, parsed.timestampMs ?? scrapeMs, parsed.metricType));
  }
}

/** Each shape written as one literal: adding `metricType` afterwards would allocate a property array per sample. */
function sample(series: ShapedSeries, value: number, timestampMs: number, metricType: MetricType | undefined): Sample {
  return metricType === undefined
    ? { kind: 'sample', name: series.name, labels: series.labels, value, timestampMs }
    : { kind: 'sample', name: series.name, labels: series.labels, value, timestampMs, metricType };
}

const HELP = Buffer.from('# HELP ');

function isHelp(body: Buffer, start: number, stop: number): boolean {
  return stop - start >= HELP.length && body.compare(HELP, 0, HELP.length, start, start + HELP.length) === 0;
}

function parseText(body: Buffer, start: number, stop: number, scan: Scan, families: Families): ParsedSample | undefined {
  const text = body.toString('utf8', start, stop);
  return parseLine(text, 0, text.length, scan, families);
}

/**
 * End of a sample line's series text: just after the last `}` (the value and timestamp never contain one), or,
 * for a line without labels, the first blank. A line this misjudges does not parse either way.
 */
function seriesEnd(body: Buffer, start: number, stop: number): number {
  for (let k = stop - 1; k > start; k--) if (body[k] === RBRACE) return k + 1;
  let k = start;
  while (k < stop && body[k] !== SPACE && body[k] !== TAB) k++;
  return k;
}
