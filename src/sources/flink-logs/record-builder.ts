// Joins a record's lines (header + stack trace) and turns them into a LogRecord. Shared by the file tailer and
// journald: both see Flink's log4j lines one by one and must re-join a header with the trace that follows it
// (the part other shippers get wrong: Fluent Bit's java parser leaves the header line out, peers.md #4–#8).
import type { Labels, LogRecord } from '../../model';
import type { LineHeader, LineLayout } from './layout';
import { findException } from '../shared/java-exception';

/** A record being assembled: positions are byte offsets (files) or entry sequence numbers (journald). */
export interface PendingRecord {
  header: LineHeader | null;
  /** The first line when it did not parse (no header): kept as the message, level INFO. */
  firstLine: string;
  start: number;
  end: number;
  continuation: string[];
  droppedLines: number;
  /** When the last line arrived (ms), for the multiline timeout. */
  touchedAt: number;
}

export interface AssemblerCounters {
  /** A line that starts a record but has no recognisable header (e.g. the middle of a trace at a file's start). */
  unparsed(): void;
  /** Continuation lines dropped past `maxLines`. */
  dropped(n: number): void;
}

/** Groups lines into records: a line the layout recognises starts one, any other line continues the current one. */
export class MultilineAssembler {
  private pending: PendingRecord | undefined;

  constructor(private readonly layout: LineLayout, private readonly maxLines: number, private readonly counters: AssemblerCounters) {}

  /** Feeds one line spanning [start, end); returns the previous record when this line starts a new one. */
  push(line: string, start: number, end: number, now: number): PendingRecord | undefined {
    const header = this.layout.parse(line);
    const p = this.pending;
    if (header === null && p !== undefined) {
      if (p.continuation.length < this.maxLines) p.continuation.push(line);
      else p.droppedLines++;
      p.end = end;
      p.touchedAt = now;
      return undefined;
    }
    if (header === null) this.counters.unparsed();
    this.pending = { header, firstLine: line, start, end, continuation: [], droppedLines: 0, touchedAt: now };
    if (p !== undefined && p.droppedLines > 0) this.counters.dropped(p.droppedLines);
    return p;
  }

  /** Hands out the pending record (quiet for long enough, or the input ended). */
  flush(): PendingRecord | undefined {
    const p = this.pending;
    this.pending = undefined;
    if (p !== undefined && p.droppedLines > 0) this.counters.dropped(p.droppedLines);
    return p;
  }

  peek(): PendingRecord | undefined {
    return this.pending;
  }
}

export interface RecordMeta {
  id: string;
  component: string | undefined;
  stream: LogRecord['stream'];
  labels: Labels;
  attributes: Record<string, string>;
  /** Timestamp for a record without a header (no time in the line). */
  fallbackTimeMs: number;
}

const JOB_ID = /\b([0-9a-f]{32})\b/;
const CHECKPOINT_ID = /\b[Cc]heckpoint (\d+)\b/;
const TASK_SWITCH = /^(.+?) \((\d+\/\d+)\)(?:#\d+)? \([^)]*\) switched from (\w+) to (\w+)/;
const JOB_SWITCH = /^Job (.+?) \([0-9a-f]{32}\) switched from state (\w+) to (\w+)/;

/** Fields Flink writes into messages: job id, checkpoint id, task name and state changes. Cheap guards first. */
export function extractAttributes(message: string, into: Record<string, string>): void {
  const job = JOB_ID.exec(message);
  if (job) into['job_id'] = job[1]!;
  if (message.includes('heckpoint ')) {
    const cp = CHECKPOINT_ID.exec(message);
    if (cp) into['checkpoint_id'] = cp[1]!;
  }
  if (message.includes(' switched from ')) {
    const t = TASK_SWITCH.exec(message);
    if (t) {
      into['task_name'] = t[1]!;
      into['subtask'] = t[2]!;
      into['from_state'] = t[3]!;
      into['to_state'] = t[4]!;
    } else {
      const j = JOB_SWITCH.exec(message);
      if (j) {
        into['job_name'] = j[1]!;
        into['from_state'] = j[2]!;
        into['to_state'] = j[3]!;
      }
    }
  }
}

function hasKeys(o: object): boolean {
  for (const _ in o) return true;
  return false;
}

export function buildRecord(p: PendingRecord, meta: RecordMeta): LogRecord {
  const h = p.header;
  let message = h ? h.message : p.firstLine;
  const rec: LogRecord = {
    kind: 'log', id: meta.id, logKind: 'log', timestampMs: h ? h.timestampMs : meta.fallbackTimeMs,
    level: h ? h.level : 'INFO', message, attributes: meta.attributes, labels: meta.labels, stream: meta.stream,
  };
  if (meta.component !== undefined) rec.component = meta.component;
  if (h?.logger) rec.logger = h.logger;
  const thread = h?.thread ?? h?.ndc;
  if (thread) rec.thread = thread;
  if (p.continuation.length > 0) {
    const ex = findException(p.continuation);
    const extra = ex ? p.continuation.slice(0, ex.at) : p.continuation;
    if (extra.length > 0) message += '\n' + extra.join('\n');
    if (ex) rec.exception = ex.exception;
    rec.message = message;
  }
  // meta.attributes may be shared by every record of a file: this record's own fields go into a copy, made
  // only when it has some (most lines have none, and one object less per record is less for GC to promote).
  const own: Record<string, string> = {};
  if (p.droppedLines > 0) own['dropped_lines'] = String(p.droppedLines);
  extractAttributes(h ? h.message : p.firstLine, own);
  if (hasKeys(own)) rec.attributes = { ...meta.attributes, ...own };
  return rec;
}
