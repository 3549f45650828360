// A Java stack trace as Flink's REST API returns it (one string, `\n\tat …` lines, `Caused by:` chain) → the
// model's ExceptionInfo. Only the top-level `Caused by:` lines count: indented ones belong to `Suppressed:` blocks.
import type { ExceptionInfo } from '../../model';

/** `pkg.Class: message` or `pkg.Class` alone; nested classes use `$`. */
const HEADER = /^([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+)(?::\s?(.*))?$/;
const CAUSED_BY = /^Caused by: (.*)$/;

function splitHeader(line: string, fallbackType: string): { type: string; message: string } {
  const m = HEADER.exec(line.trim());
  if (m) return { type: m[1]!, message: m[2] ?? '' };
  return { type: fallbackType, message: line.trim() };
}

/** Parses `stacktrace`; `exceptionName` (Flink's own field) is the type when the first line is not a class header. */
export function parseStackTrace(stacktrace: string, exceptionName: string): ExceptionInfo {
  const lines = stacktrace.split(/\r?\n/);
  const head = splitHeader(lines[0] ?? '', exceptionName);
  const causes: ExceptionInfo['causes'] = [];
  for (const line of lines) {
    const m = CAUSED_BY.exec(line);
    if (m) causes.push(splitHeader(m[1]!, 'unknown'));
  }
  return { type: head.type, message: head.message, stack: stacktrace.replace(/\s+$/, ''), causes };
}
