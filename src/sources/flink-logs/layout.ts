// Recognising the first line of a log record. Flink's default layout gets a hand-written char-code parser
// (no regex on the hot path: it runs for every line at >150k lines/s); any other layout is compiled from a
// log4j pattern (`%d{…} %-5p %c %x %t - %m%n`) or given as a regex with named groups.
import type { LogLevel } from '../../model';
import type { ZoneClock } from './timezone';

/** What the first line of a record says. */
export interface LineHeader {
  timestampMs: number;
  level: LogLevel;
  logger?: string;
  /** NDC (`%x`) without its brackets; absent when empty. */
  ndc?: string;
  thread?: string;
  message: string;
}

/** Returns the header when `line` starts a new record, null when it continues the previous one. */
export interface LineLayout {
  parse(line: string): LineHeader | null;
}

const LEVELS: Record<string, LogLevel> = {
  TRACE: 'TRACE', DEBUG: 'DEBUG', INFO: 'INFO', WARN: 'WARN', ERROR: 'ERROR', FATAL: 'FATAL',
  WARNING: 'WARN', SEVERE: 'ERROR', FINE: 'DEBUG', FINER: 'TRACE', FINEST: 'TRACE', CONFIG: 'INFO',
};

export function normalizeLevel(text: string | undefined): LogLevel {
  return (text && LEVELS[text.toUpperCase()]) || 'INFO';
}

const isDigit = (c: number) => c >= 48 && c <= 57;
const d2 = (s: string, i: number) => (s.charCodeAt(i) - 48) * 10 + s.charCodeAt(i + 1) - 48;

/** `yyyy-MM-dd HH:mm:ss,SSS ` at the start of `s` (char codes only)? The prefix every Flink record starts with. */
export function hasFlinkTimestamp(s: string): boolean {
  if (s.length < 24) return false;
  for (const i of [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22]) if (!isDigit(s.charCodeAt(i))) return false;
  return s.charCodeAt(4) === 45 && s.charCodeAt(7) === 45 && s.charCodeAt(10) === 32 && s.charCodeAt(13) === 58 &&
    s.charCodeAt(16) === 58 && (s.charCodeAt(19) === 44 || s.charCodeAt(19) === 46) && s.charCodeAt(23) === 32;
}

/**
 * `%d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %x - %m%n`, with or without the `[]` NDC (log4j1-era files have none).
 * A line with the timestamp but an unexpected rest still starts a record (level INFO, rest as message) rather
 * than being glued onto the previous record.
 */
export function flinkDefaultLayout(clock: ZoneClock): LineLayout {
  return {
    parse(s: string): LineHeader | null {
      if (!hasFlinkTimestamp(s)) return null;
      const timestampMs = clock.toEpochMs(d2(s, 0) * 100 + d2(s, 2), d2(s, 5), d2(s, 8), d2(s, 11), d2(s, 14), d2(s, 17),
        d2(s, 20) * 10 + s.charCodeAt(22) - 48);
      const n = s.length;
      let i = 24;
      while (i < n && s.charCodeAt(i) === 32) i++;
      let j = i;
      while (j < n && s.charCodeAt(j) !== 32) j++;
      const level = LEVELS[s.slice(i, j)];
      if (level === undefined) return { timestampMs, level: 'INFO', message: s.slice(24) };
      i = j;
      while (i < n && s.charCodeAt(i) === 32) i++;
      j = i;
      while (j < n && s.charCodeAt(j) !== 32) j++;
      const logger = s.slice(i, j);
      i = j;
      while (i < n && s.charCodeAt(i) === 32) i++;
      let ndc: string | undefined;
      if (s.charCodeAt(i) === 91 /* [ */) {
        const close = s.indexOf('] - ', i);
        const end = close >= 0 ? close : s.endsWith(']') || s.endsWith('] -') ? s.lastIndexOf(']') : -1;
        if (end < 0) return { timestampMs, level, logger, message: s.slice(i) };
        if (end > i + 1) ndc = s.slice(i + 1, end);
        i = end + 1;
        while (i < n && s.charCodeAt(i) === 32) i++;
      }
      // `- ` separates the message; a message may be empty (`[] - ` then end of line).
      if (s.charCodeAt(i) === 45 /* - */ && (i + 1 === n || s.charCodeAt(i + 1) === 32)) {
        const message = i + 2 <= n ? s.slice(i + 2) : '';
        return ndc === undefined ? { timestampMs, level, logger, message } : { timestampMs, level, logger, ndc, message };
      }
      return { timestampMs, level, logger, message: s.slice(i) };
    },
  };
}

/** Every line starts its own record (a `.out` file: the job's print() sink, JVM messages). */
export function everyLineLayout(now: () => number = Date.now): LineLayout {
  return { parse: (s) => ({ timestampMs: now(), level: 'INFO', message: s }) };
}

/**
 * A custom layout: a log4j pattern (`%d{yyyy-MM-dd HH:mm:ss.SSS} [%t] %-5p %c %x - %m%n`) or, when the text
 * starts with `^`, a regex with named groups `timestamp`, `level`, `logger`, `thread`, `ndc`, `message`.
 */
export function compileLayout(pattern: string, clock: ZoneClock): LineLayout {
  const { regex, parseTimestamp } = pattern.startsWith('^')
    ? { regex: new RegExp(pattern), parseTimestamp: (t: string) => parseYearFirst(t, clock) }
    : compileLog4jPattern(pattern, clock);
  if (!regex.source.includes('(?<timestamp>')) throw new Error('the pattern needs a timestamp (%d or a (?<timestamp>…) group): without one no line can start a record');
  return {
    parse(s: string): LineHeader | null {
      const m = regex.exec(s);
      const g = m?.groups;
      if (!g || g['timestamp'] === undefined) return null;
      const timestampMs = parseTimestamp(g['timestamp']);
      if (Number.isNaN(timestampMs)) return null;
      const h: LineHeader = { timestampMs, level: normalizeLevel(g['level']), message: g['message'] ?? s.slice(m![0].length) };
      if (g['logger']) h.logger = g['logger'];
      if (g['thread']) h.thread = g['thread'];
      const ndc = g['ndc']?.replace(/^\[|\]$/g, '');
      if (ndc) h.ndc = ndc;
      return h;
    },
  };
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const DATE_NAMES: Record<string, string> = {
  DEFAULT: 'yyyy-MM-dd HH:mm:ss,SSS', ISO8601: "yyyy-MM-dd'T'HH:mm:ss,SSS", ISO8601_BASIC: "yyyyMMdd'T'HHmmss,SSS",
};

/** log4j conversion pattern → regex with named groups. Supports %d{…} %p/%level %c/%logger %t/%thread %x/%X/%NDC %m/%msg %n and padding. */
export function compileLog4jPattern(pattern: string, clock: ZoneClock): { regex: RegExp; parseTimestamp: (t: string) => number } {
  let re = '^';
  let parseTimestamp = (t: string) => parseYearFirst(t, clock);
  const tokens = /%(-?\d+)?(?:\.\d+)?([a-zA-Z]+)(?:\{([^}]*)\})?|%%|( +)|([^%\s]+|\s)/g;
  for (const m of pattern.matchAll(tokens)) {
    const [whole, , conv, opt, spaces, literal] = m;
    if (spaces) { re += ' +'; continue; }
    if (literal !== undefined) { re += escapeRe(literal); continue; }
    if (whole === '%%') { re += '%'; continue; }
    switch (conv) {
      case 'd': case 'date': {
        const fmt = DATE_NAMES[opt ?? 'DEFAULT'] ?? opt ?? DATE_NAMES['DEFAULT']!;
        const compiled = compileDateFormat(fmt, clock);
        parseTimestamp = compiled.parse;
        re += `(?<timestamp>${compiled.source})`;
        break;
      }
      case 'p': case 'level': re += '(?<level>[A-Za-z]+) *'; break;
      case 'c': case 'logger': case 'C': case 'class': re += '(?<logger>\\S+) *'; break;
      case 't': case 'thread': case 'tn': re += '(?<thread>.*?) *'; break;
      case 'x': case 'NDC': case 'X': case 'MDC': re += '(?<ndc>\\[[^\\]]*\\]|\\{[^}]*\\}|)'; break;
      case 'm': case 'msg': case 'message': re += '(?<message>.*)'; break;
      case 'n': break;
      default: throw new Error(`unsupported conversion %${conv} in pattern; supported: %d %p %c %t %x %X %m %n`);
    }
  }
  return { regex: new RegExp(re), parseTimestamp };
}

/** A SimpleDateFormat-style pattern of numeric fields (yyyy MM dd HH mm ss SSS, quoted literals) → regex + parser. */
export function compileDateFormat(fmt: string, clock: ZoneClock): { source: string; parse: (t: string) => number } {
  const fields: string[] = [];
  let source = '';
  for (const m of fmt.matchAll(/'([^']*)'|(y+|M+|d+|H+|m+|s+|S+)|(.)/g)) {
    if (m[1] !== undefined) source += escapeRe(m[1]);
    else if (m[2]) { fields.push(m[2][0]!); source += `(\\d{${m[2].length === 4 && m[2][0] === 'y' ? 4 : m[2].length}})`; }
    else source += escapeRe(m[3]!);
  }
  const inner = new RegExp('^' + source + '$');
  return {
    source: source.replace(/\((?!\?)/g, '(?:'),
    parse(t: string): number {
      const m = inner.exec(t);
      if (!m) return NaN;
      const v: Record<string, number> = { y: 1970, M: 1, d: 1, H: 0, m: 0, s: 0, S: 0 };
      fields.forEach((f, i) => { v[f] = Number(m[i + 1]); });
      return clock.toEpochMs(v['y']!, v['M']!, v['d']!, v['H']!, v['m']!, v['s']!, v['S']!);
    },
  };
}

/** `2024-05-01 12:00:00,123`, `2024-05-01T12:00:00.123Z`, `…+02:00`: zone-less times are read in the clock's zone. */
export function parseYearFirst(t: string, clock: ZoneClock): number {
  const m = /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:[.,](\d{1,9}))?\s*(Z|[+-]\d\d:?\d\d)?$/.exec(t.trim());
  if (!m) return NaN;
  const ms = m[7] ? Math.floor(Number(m[7].padEnd(3, '0').slice(0, 3))) : 0;
  const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i]));
  if (!m[8]) return clock.toEpochMs(y!, mo!, d!, h!, mi!, s!, ms);
  const utc = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!, ms);
  if (m[8] === 'Z') return utc;
  const sign = m[8][0] === '-' ? -1 : 1;
  const digits = m[8].replace(/[^0-9]/g, '');
  return utc - sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
}
