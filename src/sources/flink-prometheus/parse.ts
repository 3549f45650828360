// Prometheus text exposition (0.0.4) and OpenMetrics 1.0 parser, hand-written for speed.
//
// Why not a library: the npm parsers are either slow or unmaintained. `parse-prometheus-text-format` (last release
// 2024-12) builds a family tree with a regex per line and has no OpenMetrics support; prom-client only writes the
// format. A loaded TaskManager exposes 20,000 series of ~600 bytes each, and the agent scrapes every 15 s on a
// node that also runs Flink, so this scanner walks the text once with indexOf/charCodeAt, creates one object per
// label set and no intermediate arrays. bench/prometheus-parse.bench.ts measures it against a split/regex parser.
//
// Lenient where Flink needs it (the reporter writes a trailing comma: `{host="h",}`), strict where a wrong
// guess would corrupt data: a line that does not parse is skipped, counted and reported; the rest is kept.
import type { Labels, MetricType } from '../../model';

export interface ParsedSample {
  name: string;
  labels: Labels;
  value: number;
  /** From the exposition, in ms since the epoch; absent when the line has no timestamp. */
  timestampMs?: number;
  /** From the `# TYPE` line of the sample's family, when there is one. */
  metricType?: MetricType;
  /** Values of the labels named in `ParseOptions.dropLabels`, kept aside from `labels`; absent when none. */
  dropped?: Labels;
}

export interface ParseProblem {
  /** 1-based line number in the exposition. */
  line: number;
  /** The offending line, cut to 200 characters. */
  text: string;
  reason: string;
}

export interface ParseResult {
  samples: ParsedSample[];
  /** Number of lines that did not parse (each one was skipped). */
  errors: number;
  firstError?: ParseProblem;
}

export interface ParseOptions {
  /**
   * OpenMetrics instead of text 0.0.4: timestamps are float seconds (not integer ms), `# EOF` ends the
   * exposition and exemplars (` # {…} v`) may follow a value. Guessed from a final `# EOF` when not given.
   */
  openMetrics?: boolean;
  /**
   * Labels to leave out of `labels` (their values go to `dropped`). Done here rather than by copying each label
   * set afterwards, because a second object per sample doubled the garbage of a 20,000-series scrape.
   */
  dropLabels?: ReadonlySet<string>;
}

/** Per-exposition state of the hot path: label names seen at each position of the previous line, reused as is. */
export interface Scan {
  openMetrics: boolean;
  drop: ReadonlySet<string> | undefined;
  names: string[];
}

export function newScan(openMetrics: boolean, dropLabels: ReadonlySet<string> | undefined): Scan {
  return { openMetrics, drop: dropLabels?.size ? dropLabels : undefined, names: [] };
}

/** OpenMetrics ends with `# EOF`: the guess when the content type does not say (`tail` = the last bytes). */
export function looksLikeOpenMetrics(tail: string): boolean {
  return /# EOF\s*$/.test(tail);
}

// A Map, not an object literal: `# TYPE m constructor` must not find Object.prototype.constructor.
const TYPES = new Map<string, MetricType>(Object.entries({
  gauge: 'gauge', counter: 'counter', summary: 'summary', histogram: 'histogram', untyped: 'untyped',
  unknown: 'untyped', gaugehistogram: 'histogram', stateset: 'gauge', info: 'gauge',
} as const));

const SPACE = 32, TAB = 9, HASH = 35, LBRACE = 123, RBRACE = 125, EQ = 61, QUOTE = 34, COMMA = 44, BSLASH = 92, CR = 13;

const isBlank = (c: number): boolean => c === SPACE || c === TAB;
// [a-zA-Z_] / [a-zA-Z0-9_] (label names); metric names also allow ':'.
const isNameStart = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
const isNameChar = (c: number): boolean => isNameStart(c) || (c >= 48 && c <= 57);

/** Thrown inside the line parser and turned into a counted, reported problem; never escapes the readers. */
class LineError extends Error {}

/** Lines that did not parse: how many, and the first one (what `ParseResult` reports). */
export class Problems {
  errors = 0;
  first: ParseProblem | undefined;

  /** Counts `err` when it is a LineError (rethrows anything else: a bug, not bad input). */
  add(err: unknown, line: number, text: () => string): void {
    if (!(err instanceof LineError)) throw err;
    this.errors++;
    this.first ??= { line, text: text(), reason: err.message };
  }
}

/** The `# TYPE` family the next samples belong to, and whether `# EOF` ended the exposition. */
export class Families {
  private family = '';
  private familyType: MetricType | undefined;
  /** The last name typeOf answered for, and its answer. */
  private lastName = '';
  private lastType: MetricType | undefined;
  sawEof = false;

  /** Reads one comment line, from its `#`. Only TYPE changes what we emit; HELP is text for humans. */
  comment(comment: string): void {
    if (comment.startsWith('# TYPE ')) {
      // "<name> <type>", blanks between: scanned rather than split by a regex, since every read of a page (every
      // second per target) meets every # TYPE line again.
      const t = comment.slice(7).trim();
      let gap = 0;
      while (gap < t.length && !isBlank(t.charCodeAt(gap))) gap++;
      let at = gap;
      while (at < t.length && isBlank(t.charCodeAt(at))) at++;
      let end = at;
      while (end < t.length && !isBlank(t.charCodeAt(end))) end++;
      const word = end === t.length && at < end ? t.slice(at) : '';
      const type = TYPES.get(word) ?? TYPES.get(word.toLowerCase());
      const name = t.slice(0, gap);
      if (!type || !validMetricName(name)) throw new LineError('malformed # TYPE line (expected "# TYPE <name> <type>")');
      this.family = name;
      this.familyType = type;
      this.lastName = '';
    } else if (comment.trimEnd() === '# EOF') {
      this.sawEof = true;
    }
  }

  /** The type of metric `name` when it belongs to the current family. */
  typeOf(name: string): MetricType | undefined {
    // Lines of one metric come together; with shared name strings (SeriesShaper) this is a reference compare.
    if (name === this.lastName) return this.lastType;
    this.lastName = name;
    return (this.lastType = this.familyType !== undefined && belongsTo(name, this.family) ? this.familyType : undefined);
  }
}

export function parseExposition(text: string, options: ParseOptions = {}): ParseResult {
  const scan = newScan(options.openMetrics ?? looksLikeOpenMetrics(text.slice(-16)), options.dropLabels);
  const families = new Families();
  const problems = new Problems();
  const samples: ParsedSample[] = [];
  let lineNo = 0;
  let pos = 0;
  const len = text.length;

  while (pos < len) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = len;
    lineNo++;
    const start = pos;
    pos = end + 1;
    let stop = end;
    if (stop > start && text.charCodeAt(stop - 1) === CR) stop--;
    try {
      const sample = parseLine(text, start, stop, scan, families);
      if (sample) samples.push(sample);
    } catch (err) {
      problems.add(err, lineNo, () => text.slice(start, Math.min(stop, start + 200)));
    }
  }
  const result: ParseResult = { samples, errors: problems.errors };
  if (problems.first) result.firstError = problems.first;
  return result;
}

/**
 * One line (`text[start, stop)`, no line break): a sample, or undefined for a blank line or a comment (which
 * `families` reads). Throws LineError when it does not parse.
 */
export function parseLine(text: string, start: number, stop: number, scan: Scan, families: Families): ParsedSample | undefined {
  let i = start;
  while (i < stop && isBlank(text.charCodeAt(i))) i++;
  if (i === stop) return undefined;
  if (families.sawEof) throw new LineError('content after "# EOF"');
  if (text.charCodeAt(i) === HASH) {
    families.comment(text.slice(i, stop));
    return undefined;
  }
  const sample = parseSampleLine(text, i, stop, scan);
  const type = families.typeOf(sample.name);
  if (type !== undefined) sample.metricType = type;
  return sample;
}

/** `x`, `x_count`, `x_sum`, `x_bucket`, `x_total`, … belong to family `x`. */
function belongsTo(name: string, family: string): boolean {
  return name === family || (name.length > family.length && name.charCodeAt(family.length) === 95 && name.startsWith(family));
}

function validMetricName(name: string): boolean {
  if (name.length === 0) return false;
  const c0 = name.charCodeAt(0);
  if (!isNameStart(c0) && c0 !== 58) return false;
  for (let k = 1; k < name.length; k++) {
    const c = name.charCodeAt(k);
    if (!isNameChar(c) && c !== 58) return false;
  }
  return true;
}

/** A sample line from its first (non-blank) character. */
function parseSampleLine(text: string, start: number, stop: number, scan: Scan): ParsedSample {
  const openMetrics = scan.openMetrics;
  let i = start;
  let c = text.charCodeAt(i);
  if (!isNameStart(c) && c !== 58) throw new LineError('metric name must start with a letter, "_" or ":"');
  i++;
  while (i < stop && (isNameChar((c = text.charCodeAt(i))) || c === 58)) i++;
  const name = text.slice(start, i);
  if (i < stop && !isBlank(c) && c !== LBRACE) throw new LineError(`unexpected character "${text[i]}" in metric name`);
  while (i < stop && isBlank(text.charCodeAt(i))) i++;

  const sample: ParsedSample = { name, labels: {}, value: 0 };
  if (i < stop && text.charCodeAt(i) === LBRACE) i = parseLabels(text, i + 1, stop, sample, scan);

  readValue(text, i, stop, openMetrics, sample);
  return sample;
}

/** Where `readValue` puts what it read. */
export interface ValueSlot {
  value: number;
  timestampMs?: number | undefined;
}

/**
 * The part of a sample line after its name and labels, `text[i, stop)`: the value, then an optional timestamp,
 * each preceded by blanks. Sets `into.timestampMs` only when the line has one.
 */
export function readValue(text: string, i: number, stop: number, openMetrics: boolean, into: ValueSlot): void {
  while (i < stop && isBlank(text.charCodeAt(i))) i++;
  let j = i;
  while (j < stop && !isBlank(text.charCodeAt(j))) j++;
  if (j === i) throw new LineError('missing value');
  into.value = parseValue(text.slice(i, j));

  i = j;
  while (i < stop && isBlank(text.charCodeAt(i))) i++;
  if (i < stop && !(openMetrics && text.charCodeAt(i) === HASH)) {
    j = i;
    while (j < stop && !isBlank(text.charCodeAt(j))) j++;
    const ts = Number(text.slice(i, j));
    if (!Number.isFinite(ts)) throw new LineError(`timestamp "${text.slice(i, j)}" is not a number`);
    into.timestampMs = openMetrics ? Math.round(ts * 1000) : Math.trunc(ts);
    i = j;
    while (i < stop && isBlank(text.charCodeAt(i))) i++;
    // Anything left must be an OpenMetrics exemplar (` # {trace_id="…"} 1`), which we do not keep.
    if (i < stop && !(openMetrics && text.charCodeAt(i) === HASH)) throw new LineError('unexpected text after the timestamp');
  }
}

/** Parses `k="v",k2="v2"}` from just after `{`; returns the index after `}`. */
function parseLabels(text: string, i: number, stop: number, sample: ParsedSample, scan: Scan): number {
  const labels = sample.labels;
  for (let position = 0; ; position++) {
    while (i < stop && isBlank(text.charCodeAt(i))) i++;
    if (i >= stop) throw new LineError('unterminated label set (missing "}")');
    let c = text.charCodeAt(i);
    if (c === RBRACE) return i + 1;
    if (!isNameStart(c)) throw new LineError('label name must start with a letter or "_"');
    const nameStart = i++;
    while (i < stop && isNameChar(text.charCodeAt(i))) i++;
    // Lines of one exposition repeat the same label names in the same order: reusing last line's string saves
    // a slice and a hash per label.
    let labelName = scan.names[position];
    if (labelName === undefined || labelName.length !== i - nameStart || !text.startsWith(labelName, nameStart)) {
      labelName = text.slice(nameStart, i);
      scan.names[position] = labelName;
    }
    while (i < stop && isBlank(text.charCodeAt(i))) i++;
    if (text.charCodeAt(i) !== EQ) throw new LineError(`expected "=" after label name "${labelName}"`);
    i++;
    while (i < stop && isBlank(text.charCodeAt(i))) i++;
    if (text.charCodeAt(i) !== QUOTE) throw new LineError(`label "${labelName}" value must be in double quotes`);
    i++;
    // Fast path: no backslash before the closing quote, so the value is a plain slice.
    const close = text.indexOf('"', i);
    if (close < 0 || close >= stop) throw new LineError(`unterminated value of label "${labelName}"`);
    // Look for a backslash only up to that quote: indexOf('\\') would scan the rest of the body when there is
    // none, once per label (quadratic on a 10 MB scrape).
    let slash = i;
    while (slash < close && text.charCodeAt(slash) !== BSLASH) slash++;
    let value: string;
    if (slash === close) {
      value = text.slice(i, close);
      i = close + 1;
    } else {
      [value, i] = unescapeLabelValue(text, i, stop, labelName);
    }
    // A repeated label name is ambiguous; Prometheus rejects the whole scrape for it, we reject only this line.
    // `__proto__` would set the object's prototype instead of a property.
    if ((labels[labelName] !== undefined && Object.hasOwn(labels, labelName)) || labelName === '__proto__' || (sample.dropped !== undefined && Object.hasOwn(sample.dropped, labelName))) {
      throw new LineError(`label "${labelName}" appears twice`);
    }
    if (scan.drop?.has(labelName)) (sample.dropped ??= {})[labelName] = value;
    else labels[labelName] = value;
    while (i < stop && isBlank(text.charCodeAt(i))) i++;
    c = text.charCodeAt(i);
    if (c === COMMA) i++;
    else if (c === RBRACE) return i + 1;
    else throw new LineError(`expected "," or "}" after the value of label "${labelName}"`);
  }
}

/** Slow path for values with `\\`, `\"` or `\n`; returns the value and the index after the closing quote. */
function unescapeLabelValue(text: string, i: number, stop: number, labelName: string): [string, number] {
  let out = '';
  let runStart = i;
  while (i < stop) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) return [out + text.slice(runStart, i), i + 1];
    if (c === BSLASH) {
      const next = text.charCodeAt(i + 1);
      out += text.slice(runStart, i);
      if (next === BSLASH) out += '\\';
      else if (next === QUOTE) out += '"';
      else if (next === 110 /* n */) out += '\n';
      else throw new LineError(`invalid escape "\\${text[i + 1] ?? ''}" in label "${labelName}" (only \\\\, \\" and \\n)`);
      i += 2;
      runStart = i;
      continue;
    }
    i++;
  }
  throw new LineError(`unterminated value of label "${labelName}"`);
}

const MINUS = 45, PLUS = 43, DOT = 46, LOWER_E = 101, UPPER_E = 69;
/** 10^0 … 10^22: the powers of ten a double holds exactly. */
const EXACT_POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));
const EXACT_INT = 2 ** 53;

/**
 * The plain decimal in bytes [from, to) (`12`, `-0.25`, `1.0E-5`, what Java's Double.toString writes), read without
 * making a string; NaN when the token is anything else or the shortcut would not be exact, and the caller then
 * takes `parseValue` of the text. Exact (Clinger's fast path): the digits form an integer below 2^53 and the
 * power of ten is at most 10^22, both exact doubles, so one IEEE multiplication or division rounds once, to the
 * same double `Number(text)` gives.
 */
export function parseDecimal(b: Uint8Array, from: number, to: number): number {
  let i = from;
  const negative = b[i] === MINUS;
  if (negative || b[i] === PLUS) i++;
  let mantissa = 0, digits = 0, scale = 0, d = 0;
  while (i < to && (d = b[i]! - 48) >= 0 && d <= 9) {
    mantissa = mantissa * 10 + d;
    digits++;
    i++;
  }
  if (i < to && b[i] === DOT) {
    i++;
    while (i < to && (d = b[i]! - 48) >= 0 && d <= 9) {
      mantissa = mantissa * 10 + d;
      digits++;
      scale--;
      i++;
    }
  }
  // Once the true mantissa reaches 2^53 the running one (rounded or not) stays at or above it: the test is exact.
  if (digits === 0 || mantissa >= EXACT_INT) return Number.NaN;
  if (i < to && (b[i] === LOWER_E || b[i] === UPPER_E)) {
    i++;
    const negativeExp = b[i] === MINUS;
    if (negativeExp || b[i] === PLUS) i++;
    let exp = 0, expDigits = 0;
    while (i < to && (d = b[i]! - 48) >= 0 && d <= 9) {
      if (exp < 1000) exp = exp * 10 + d; // beyond ±22 the answer is NaN anyway; the cap keeps `exp` small
      expDigits++;
      i++;
    }
    if (expDigits === 0) return Number.NaN;
    scale += negativeExp ? -exp : exp;
  }
  if (i !== to || scale < -22 || scale > 22) return Number.NaN;
  const v = scale >= 0 ? mantissa * EXACT_POW10[scale]! : mantissa / EXACT_POW10[-scale]!;
  return negative ? -v : v;
}

/** Go's ParseFloat spellings Prometheus writes: `NaN`, `+Inf`, `-Inf` (and `Inf`), plus ordinary decimals. */
export function parseValue(token: string): number {
  const v = Number(token);
  if (!Number.isNaN(v)) {
    // Number() also takes `0x1F`, `0b1`, `Infinity`; the exposition formats do not.
    if (token.charCodeAt(0) === 48 && token.length > 2 && /^0[xXbBoO]/.test(token)) throw new LineError(`value "${token}" is not a number`);
    if (!Number.isFinite(v) && /Infinity/.test(token)) throw new LineError(`value "${token}" is not a number (write +Inf or -Inf)`);
    return v;
  }
  switch (token.toLowerCase()) {
    case 'nan': return Number.NaN;
    case '+inf': case 'inf': return Number.POSITIVE_INFINITY;
    case '-inf': return Number.NEGATIVE_INFINITY;
    default: throw new LineError(`value "${token}" is not a number`);
  }
}
