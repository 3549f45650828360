// Java throwables as Flink prints them — `pkg.Class: message`, `\tat …` frames, a `Caused by:` chain — turned
// into the model's ExceptionInfo. Shared by the log tailers (a stack trace joined from continuation lines) and
// the REST source (a job exception's `stacktrace` string). Only top-level `Caused by:` lines count: indented ones
// belong to `Suppressed:` blocks.
import type { ExceptionInfo } from '../../model';

/** `pkg.Class: message` or `pkg.Class` alone; nested classes use `$`. */
const HEADER = /^([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+)(?::\s?(.*))?$/;
const THROWABLE_NAME = /(Exception|Error|Throwable|Failure)$/;
const CAUSED_BY = 'Caused by: ';

function header(line: string): { type: string; message: string } | undefined {
  const m = HEADER.exec(line.trim());
  return m ? { type: m[1]!, message: m[2] ?? '' } : undefined;
}

function causes(lines: string[], from: number): ExceptionInfo['causes'] {
  const out: ExceptionInfo['causes'] = [];
  for (let i = from; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith(CAUSED_BY)) out.push(header(line.slice(CAUSED_BY.length)) ?? { type: 'unknown', message: line.slice(CAUSED_BY.length).trim() });
  }
  return out;
}

/** A whole stack trace string; `fallbackType` (e.g. Flink's `exceptionName`) when the first line is not a class header. */
export function parseStackTrace(stacktrace: string, fallbackType: string): ExceptionInfo {
  const lines = stacktrace.split(/\r?\n/);
  const head = header(lines[0] ?? '') ?? { type: fallbackType, message: (lines[0] ?? '').trim() };
  return { ...head, stack: stacktrace.replace(/\s+$/, ''), causes: causes(lines, 1) };
}

/**
 * Finds the throwable among a log record's continuation lines: the first line that looks like a class header and
 * either is named like a throwable or is followed by a frame. `at` is its index (lines before it are message).
 */
export function findException(lines: string[]): { exception: ExceptionInfo; at: number } | undefined {
  for (let k = 0; k < lines.length; k++) {
    const head = header(lines[k]!);
    if (!head || lines[k]!.startsWith(' ') || lines[k]!.startsWith('\t')) continue;
    const next = lines[k + 1];
    if (!THROWABLE_NAME.test(head.type) && !(next !== undefined && /^\s+at /.test(next))) continue;
    return { exception: { ...head, stack: lines.slice(k).join('\n'), causes: causes(lines, k + 1) }, at: k };
  }
  return undefined;
}
