// The journald source: one journalctl child at a time; each JSON entry is a line of some unit's output. Flink
// writes one entry per line under systemd, so a stack trace arrives as many entries: they are re-joined per
// unit+pid with the same assembler as the file tailer. The cursor is committed only after emit resolved, and only
// up to the last entry that no still-pending record needs.
import { isUtf8 } from 'node:buffer';
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { Counter } from '../../component';
import type { LogLevel, LogRecord } from '../../model';
import type { Source, SourceContext } from '../types';
import { componentFromName } from '../flink-logs/component-name';
import { compileLayout, flinkDefaultLayout, type LineLayout } from '../flink-logs/layout';
import { buildRecord, MultilineAssembler, type AssemblerCounters, type PendingRecord } from '../flink-logs/record-builder';
import { ZoneClock } from '../flink-logs/timezone';
import { classifyFailure, journalctlArgs } from './journalctl';
import type { JournaldConfig } from './schema';

export const CURSOR_KEY = 'cursor';

interface JournalEntry {
  __CURSOR?: string;
  __REALTIME_TIMESTAMP?: string;
  MESSAGE?: string | number[] | null;
  PRIORITY?: string;
  _SYSTEMD_UNIT?: string;
  SYSLOG_IDENTIFIER?: string;
  _PID?: string;
  _HOSTNAME?: string;
}

interface EntryMeta { cursor: string; unit: string; pid: string; realtimeMs: number; priority: number }

// syslog priorities (0 emerg … 7 debug) for entries that are no Flink log line (JVM crash output, systemd notes).
const PRIORITY_LEVEL: LogLevel[] = ['FATAL', 'FATAL', 'FATAL', 'ERROR', 'WARN', 'INFO', 'INFO', 'DEBUG'];
const TICK = Symbol('tick');
const LINES_PER_ENTRY = 65536;

export class JournaldSource implements Source {
  private readonly assemblers = new Map<string, MultilineAssembler>();
  /** Entries read since the last commit: seq → cursor (the commit point) and the fields a record takes from it. */
  private readonly cursors = new Map<number, string>();
  private readonly starts = new Map<number, EntryMeta>();
  private seq = 0;
  private batch: LogRecord[] = [];
  private batchSince = 0;
  private readonly layout: LineLayout;
  private readonly c: Record<'entries' | 'records' | 'binary' | 'unstructured' | 'dropped' | 'badCursor' | 'failures' | 'badJson', Counter>;
  private readonly ac: AssemblerCounters;

  constructor(private readonly cfg: JournaldConfig, private readonly ctx: SourceContext) {
    const m = ctx.metrics;
    this.c = {
      entries: m.counter('journal_entries_total', 'Journal entries read.'),
      records: m.counter('journal_records_total', 'Records handed to the pipeline (a re-joined stack trace is one).'),
      binary: m.counter('journal_binary_messages_total', 'MESSAGE fields that were not valid UTF-8 (decoded with U+FFFD).'),
      unstructured: m.counter('journal_unstructured_entries_total', 'Entries that start a record without a Flink header (level from PRIORITY).'),
      dropped: m.counter('journal_multiline_lines_dropped_total', 'Continuation lines beyond max_multiline_lines, dropped.'),
      badCursor: m.counter('journal_cursor_invalid_total', 'Saved cursors journalctl refused; reading restarted from start_at.'),
      failures: m.counter('journal_reader_failures_total', 'journalctl exits other than at shutdown.'),
      badJson: m.counter('journal_invalid_json_total', 'Output lines of journalctl that were no JSON object (skipped).'),
    };
    this.ac = { unparsed: () => this.c.unstructured.inc(), dropped: (n) => this.c.dropped.inc(n) };
    const clock = new ZoneClock(cfg.timezone);
    this.layout = cfg.pattern ? compileLayout(cfg.pattern, clock) : flinkDefaultLayout(clock);
  }

  async run(): Promise<void> {
    while (!this.ctx.signal.aborted) {
      const ok = await this.follow().catch((err: unknown) => {
        if (this.ctx.signal.aborted) return true;
        throw err;
      });
      if (this.ctx.signal.aborted) return;
      if (!ok) await this.sleep(this.cfg.restart_delay);
    }
  }

  /** The last entries of the configured units (`flink-telemetry-agent once`): nothing committed. */
  async preview(signal: AbortSignal): Promise<LogRecord[]> {
    const args = journalctlArgs(this.cfg, undefined).filter((a) => a !== '-f' && a !== '--lines=0' && a !== '--no-tail');
    args.push('--lines=50');
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(this.cfg.journalctl_path, args, { signal, maxBuffer: 64 * 2 ** 20 }, (err, out, stderr) => {
        if (err) reject(new Error(classifyFailure(stderr, err as NodeJS.ErrnoException, this.cfg.journalctl_path).message));
        else resolve(out);
      });
    });
    this.reset();
    for (const line of stdout.split('\n')) if (line) this.onLine(line);
    for (const a of this.assemblers.values()) this.take(a.flush());
    const out = this.batch;
    this.reset();
    return out;
  }

  /** One journalctl life. Returns true when it should be started again at once (a refused cursor). */
  private async follow(): Promise<boolean> {
    const cursor = this.ctx.state.get<string>(CURSOR_KEY);
    this.reset();
    const child = spawn(this.cfg.journalctl_path, journalctlArgs(this.cfg, cursor), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let spawnError: NodeJS.ErrnoException | undefined;
    child.on('error', (e) => { spawnError = e; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < 8192) stderr += d;
      // journalctl may go on running with only part of the journal readable: say so at once.
      const f = classifyFailure(stderr, undefined, this.cfg.journalctl_path);
      if (f.kind === 'permission') this.ctx.status.error(f.message);
    });
    const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
    const stop = () => child.kill('SIGTERM');
    this.ctx.signal.addEventListener('abort', stop, { once: true });
    try {
      const it = createInterface({ input: child.stdout, crlfDelay: Infinity })[Symbol.asyncIterator]();
      let next = it.next();
      let tick = this.sleep(Math.min(this.cfg.batch_max_wait, this.cfg.multiline_timeout)).then((): typeof TICK => TICK);
      for (;;) {
        const r = await Promise.race([next, tick]);
        if (r === TICK) {
          await this.onTick();
          tick = this.sleep(Math.min(this.cfg.batch_max_wait, this.cfg.multiline_timeout)).then((): typeof TICK => TICK);
          continue;
        }
        if (r.done) break;
        next = it.next();
        this.onLine(r.value);
        if (this.batch.length >= this.cfg.batch_max_records) await this.flush();
      }
      if (!this.ctx.signal.aborted) {
        for (const a of this.assemblers.values()) this.take(a.flush());
        if (this.batch.length > 0) await this.flush();
      }
    } finally {
      this.ctx.signal.removeEventListener('abort', stop);
    }
    const code = await exited;
    if (this.ctx.signal.aborted) return true;
    const f = classifyFailure(stderr, spawnError, this.cfg.journalctl_path);
    this.c.failures.inc();
    if (f.kind === 'bad-cursor' && cursor) {
      this.c.badCursor.inc();
      this.ctx.logger.warn({ cursor, reason: f.message }, `journalctl refused the saved cursor; reading again from start_at=${this.cfg.start_at}`);
      await this.ctx.state.delete(CURSOR_KEY);
      return true;
    }
    this.ctx.status.error(f.kind === 'other' ? `journalctl exited (code ${code}): ${f.message}` : f.message);
    this.ctx.logger.error({ code, reason: f.message }, 'journalctl stopped; starting it again after restart_delay');
    return false;
  }

  private reset(): void {
    this.assemblers.clear();
    this.cursors.clear();
    this.starts.clear();
    this.batch = [];
  }

  private onLine(text: string): void {
    let e: JournalEntry;
    try {
      e = JSON.parse(text) as JournalEntry;
    } catch {
      this.c.badJson.inc();
      return;
    }
    if (!e.__CURSOR) return this.c.badJson.inc();
    this.c.entries.inc();
    const seq = ++this.seq;
    this.cursors.set(seq, e.__CURSOR);
    const unit = e._SYSTEMD_UNIT ?? e.SYSLOG_IDENTIFIER ?? '';
    const pid = e._PID ?? '';
    const key = `${unit}\u0000${pid}`;
    let asm = this.assemblers.get(key);
    if (!asm) this.assemblers.set(key, (asm = new MultilineAssembler(this.layout, this.cfg.max_multiline_lines, this.ac)));
    const now = Date.now();
    this.starts.set(seq, { cursor: e.__CURSOR, unit, pid, realtimeMs: Math.floor(Number(e.__REALTIME_TIMESTAMP ?? 0) / 1000), priority: Number(e.PRIORITY ?? 6) });
    // A message may itself hold several lines (sd_journal_send); each goes through the assembler, positioned
    // as (entry, line) so two records from one entry get distinct ids.
    const lines = this.message(e.MESSAGE).split('\n');
    for (let i = 0; i < lines.length; i++) {
      const pos = seq * LINES_PER_ENTRY + Math.min(i, LINES_PER_ENTRY - 1);
      this.take(asm.push(lines[i]!, pos, pos, now));
    }
  }

  private message(m: JournalEntry['MESSAGE']): string {
    if (typeof m === 'string') return m;
    if (!Array.isArray(m)) return '';
    // journald hands non-UTF-8 messages over as an array of bytes.
    const buf = Buffer.from(m);
    if (!isUtf8(buf)) this.c.binary.inc();
    return buf.toString('utf8').replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '\uFFFD');
  }

  private take(p: PendingRecord | undefined): void {
    if (!p) return;
    const line = p.start % LINES_PER_ENTRY;
    const meta = this.starts.get((p.start - line) / LINES_PER_ENTRY)!;
    const attributes: Record<string, string> = { unit: meta.unit, pid: meta.pid };
    const rec = buildRecord(p, {
      id: `${this.ctx.agent.node}:journald:${createHash('sha1').update(meta.cursor).digest('hex').slice(0, 24)}${line ? `:${line}` : ''}`,
      component: componentFromName(meta.unit), stream: 'journald',
      labels: { cluster: this.ctx.agent.cluster, node: this.ctx.agent.node, ...this.ctx.agent.labels, ...this.cfg.labels },
      attributes, fallbackTimeMs: meta.realtimeMs,
    });
    if (!p.header) rec.level = PRIORITY_LEVEL[meta.priority] ?? 'INFO';
    if (this.batch.length === 0) this.batchSince = Date.now();
    this.batch.push(rec);
  }

  private async onTick(): Promise<void> {
    const now = Date.now();
    for (const a of this.assemblers.values()) {
      const p = a.peek();
      if (p && now - p.touchedAt >= this.cfg.multiline_timeout) this.take(a.flush());
    }
    if (this.batch.length > 0 && now - this.batchSince >= this.cfg.batch_max_wait) await this.flush();
  }

  /** emit, then commit the cursor of the last entry no pending record still needs. */
  private async flush(): Promise<void> {
    const records = this.batch;
    this.batch = [];
    let safe = this.seq;
    for (const a of this.assemblers.values()) {
      const p = a.peek();
      if (p) safe = Math.min(safe, Math.floor(p.start / LINES_PER_ENTRY) - 1);
    }
    const cursor = this.cursors.get(safe);
    await this.ctx.emit(records);
    this.c.records.inc(records.length);
    this.ctx.status.ok();
    if (cursor === undefined) return;
    await this.ctx.state.set(CURSOR_KEY, cursor);
    for (const s of this.cursors.keys()) {
      if (s > safe) break;
      this.cursors.delete(s);
      this.starts.delete(s);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.ctx.signal.removeEventListener('abort', done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.ctx.signal.addEventListener('abort', done, { once: true });
    });
  }
}
