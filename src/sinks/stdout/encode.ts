// Lines for the `stdout` sink. Text lines keep one record per line: newlines inside messages and stack traces
// are written as `\n`, so `grep` and container log collectors never split a record.
import { seriesKey, type TelemetryRecord } from '../../model';
import { recordJson } from '../../pipeline/record-json';

const oneLine = (s: string): string => s.replace(/\r?\n/g, '\\n');

export function textLine(r: TelemetryRecord): string {
  const at = new Date(r.timestampMs).toISOString();
  if (r.kind === 'sample') return `${at} ${seriesKey(r.name, r.labels)} ${r.value}${r.stale ? ' (stale)' : ''}`;
  const where = [r.component, r.logger].filter(Boolean).join(' ');
  const exc = r.exception ? ` | ${r.exception.type}: ${oneLine(r.exception.message)}` : '';
  return `${at} ${r.level.padEnd(5)} ${where ? where + ': ' : ''}${oneLine(r.message)}${exc}`;
}

export function encodeLines(records: TelemetryRecord[], format: 'json' | 'text'): string {
  let out = '';
  for (const r of records) out += (format === 'json' ? recordJson(r) : textLine(r)) + '\n';
  return out;
}
