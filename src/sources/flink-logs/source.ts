// The flink_logs source: finds files, follows them through rotation, batches records and commits each file's
// offset only after `emit` resolved (every sink durably took the batch), so a crash replays, never loses.
// Record ids are (node, dev, inode, fingerprint, byte offset): a replay produces the same ids.
import { stat } from 'node:fs/promises';
import type { Counter, Gauge } from '../../component';
import type { LogRecord } from '../../model';
import type { Source, SourceContext } from '../types';
import { componentFromName } from './component-name';
import { expandGlobs, findSibling, lastLineEnd, lineStartBefore, openWithIdentity, type OpenedFile } from './discovery';
import { identityKey } from './file-identity';
import { FileTailer, type TailerCounters } from './file-tailer';
import { compileLayout, everyLineLayout, flinkDefaultLayout, type LineLayout } from './layout';
import { buildRecord, MultilineAssembler, type AssemblerCounters, type PendingRecord } from './record-builder';
import { sweepRotated, type SavedOffset } from './rotated-files';
import type { FlinkLogsConfig } from './schema';
import { ZoneClock } from './timezone';
import { Wakeup } from './wakeup';

export type { SavedOffset } from './rotated-files';

const MAX_CHUNKS_PER_TURN = 16;
const PREVIEW_BYTES = 256 * 1024;
const FP_RETRY_MS = 1000;

export class FlinkLogsSource implements Source {
  private readonly tailers = new Map<string, FileTailer>();
  /** Active (not draining) tailers by `dev:ino`: a file renamed into another globbed name keeps its tailer. */
  private readonly byInode = new Map<string, FileTailer>();
  private readonly closing = new Set<FileTailer>();
  private batch: LogRecord[] = [];
  private batchSince = 0;
  private rescanSoon = false;
  private fpPending = false;
  private lastScan = 0;
  private readonly logLayout: LineLayout;
  private readonly c: {
    records: Counter; unparsed: Counter; truncated: Counter; invalid: Counter; dropped: Counter; lines: Counter;
    rotations: Counter; truncations: Counter; reused: Counter; lost: Counter; readErrors: Counter; files: Gauge;
  };
  readonly tailerCounters: TailerCounters;
  readonly assemblerCounters: AssemblerCounters;

  constructor(private readonly cfg: FlinkLogsConfig, private readonly ctx: SourceContext) {
    const m = ctx.metrics;
    this.c = {
      records: m.counter('log_records_total', 'Log records handed to the pipeline (a stack trace is one record).'),
      lines: m.counter('log_lines_total', 'Lines read from log files.'),
      unparsed: m.counter('log_unparsed_lines_total', 'Lines that start a record without a recognisable header (kept, level INFO).'),
      truncated: m.counter('log_lines_truncated_total', 'Lines longer than max_line_bytes, cut.'),
      invalid: m.counter('log_invalid_utf8_lines_total', 'Lines with invalid UTF-8 or binary bytes, kept with U+FFFD.'),
      dropped: m.counter('log_multiline_lines_dropped_total', 'Continuation lines beyond max_multiline_lines, dropped.'),
      rotations: m.counter('log_rotations_total', 'Files renamed away or deleted; read to their end before closing.'),
      truncations: m.counter('log_truncations_total', 'Files that shrank (copytruncate); read again from offset 0.'),
      reused: m.counter('log_inode_reuse_total', 'Known inodes found holding other content; read as new files.'),
      lost: m.counter('log_files_vanished_total', 'Files with a saved offset that were gone at start-up (unread rest, if any, is lost).'),
      readErrors: m.counter('log_read_errors_total', 'Failed reads of a followed file.'),
      files: m.gauge('log_files_open', 'Files being followed.'),
    };
    this.tailerCounters = { lines: (n) => this.c.lines.inc(n), truncatedLine: () => this.c.truncated.inc(), invalidUtf8: () => this.c.invalid.inc() };
    this.assemblerCounters = { unparsed: () => this.c.unparsed.inc(), dropped: (n) => this.c.dropped.inc(n) };
    const clock = new ZoneClock(cfg.timezone);
    this.logLayout = cfg.pattern ? compileLayout(cfg.pattern, clock) : flinkDefaultLayout(clock);
  }

  async run(): Promise<void> {
    const signal = this.ctx.signal;
    const wakeup = new Wakeup(this.cfg.paths, () => { this.rescanSoon = true; }, (path) => this.follows(path));
    try {
      await this.scan(true);
      let nextScan = Date.now() + this.cfg.scan_interval;
      while (!signal.aborted) {
        if (this.rescanSoon || Date.now() >= nextScan || (this.fpPending && Date.now() - this.lastScan >= FP_RETRY_MS)) {
          await this.scan(false);
          nextScan = Date.now() + this.cfg.scan_interval;
        }
        let bytes = 0;
        for (const t of [...this.tailers.values()]) bytes += await this.pump(t);
        const now = Date.now();
        for (const t of this.tailers.values()) if (t.phase === 'active') t.flushQuiet(now, this.cfg.multiline_timeout, this.batch);
        this.finishDrained(now);
        if (this.batch.length > 0 && (bytes === 0 || now - this.batchSince >= this.cfg.batch_max_wait)) await this.flush();
        if (this.closing.size > 0) await this.reap();
        if (bytes === 0 && !signal.aborted) await wakeup.sleep(Math.min(this.cfg.poll_interval, Math.max(0, nextScan - Date.now())), signal);
      }
    } catch (err) {
      if (!signal.aborted) throw err;
      // emit rejects when the agent stops: nothing is committed for that batch; it is read again next start.
    } finally {
      wakeup.close();
      for (const t of this.tailers.values()) await t.close();
      this.tailers.clear();
      this.byInode.clear();
    }
  }

  private follows(path: string): boolean {
    for (const t of this.tailers.values()) if (t.path === path) return true;
    return false;
  }

  /** The last `preview_lines` records of each file, nothing committed (`flink-telemetry-agent once`). */
  async preview(signal: AbortSignal): Promise<LogRecord[]> {
    const out: LogRecord[] = [];
    const quiet: TailerCounters & AssemblerCounters = { lines() {}, truncatedLine() {}, invalidUtf8() {}, unparsed() {}, dropped() {} };
    for (const path of await expandGlobs(this.cfg.paths)) {
      if (signal.aborted) break;
      const f = await openWithIdentity(path, this.cfg.fingerprint_bytes, true);
      if (!f) continue;
      const from = await lineStartBefore(f.fh, f.size, PREVIEW_BYTES);
      const t = this.newTailer(path, f, from, quiet, quiet);
      const recs: LogRecord[] = [];
      while ((await t.readChunk(recs)) > 0 && !signal.aborted);
      t.finish(recs);
      await t.close();
      out.push(...recs.slice(-this.cfg.preview_lines));
    }
    return out;
  }

  private newTailer(path: string, f: OpenedFile, offset: number, tc: TailerCounters, ac: AssemblerCounters): FileTailer {
    const isOut = /\.out(\.\d+)?$/.test(path);
    const assembler = new MultilineAssembler(isOut ? everyLineLayout() : this.logLayout, this.cfg.max_multiline_lines, ac);
    // One labels and one attributes object for every record of the file (buildRecord copies the attributes of a
    // record that has fields of its own): records are immutable once emitted (transforms return new objects), and
    // a copy per line only added allocation that outlives a batch (GC work during a catch-up).
    const labels = { cluster: this.ctx.agent.cluster, node: this.ctx.agent.node, ...this.ctx.agent.labels, ...this.cfg.labels };
    const attributes = { file: path };
    const component = componentFromName(path);
    // The tailer's identity never changes: the id's constant part is formatted once, not per line.
    const idPrefix = `${this.ctx.agent.node}:${f.id.dev}:${f.id.ino}:${f.id.fp}:`;
    return new FileTailer(f.fh, path, f.id, offset, assembler, {
      maxLineBytes: this.cfg.max_line_bytes,
      counters: tc,
      makeRecord: (p: PendingRecord) => buildRecord(p, {
        id: idPrefix + p.start, component, stream: isOut ? 'out' : 'log', labels, attributes, fallbackTimeMs: Date.now(),
      }),
    });
  }

  private track(t: FileTailer): void {
    this.tailers.set(identityKey(t.id), t);
    if (t.phase === 'active') this.byInode.set(`${t.id.dev}:${t.id.ino}`, t);
    this.c.files.set(this.tailers.size);
  }

  /** Expands the globs: opens new files, marks vanished ones as draining, notices content replaced under us. */
  private async scan(initial: boolean): Promise<void> {
    this.rescanSoon = false;
    this.fpPending = false;
    this.lastScan = Date.now();
    const opened: Array<{ path: string; f: OpenedFile }> = [];
    const seen = new Set<string>();
    for (const path of await expandGlobs(this.cfg.paths)) {
      const f = await openWithIdentity(path, this.cfg.fingerprint_bytes);
      if (!f) {
        // No complete first line yet (new, or just truncated; an idle JobManager's .out stays empty): look again
        // within a second rather than in scan_interval, and do not take a followed file that was truncated to
        // nothing for one that was rotated away.
        this.fpPending = true;
        const st = await stat(path).catch(() => undefined);
        if (st) seen.add(`${st.dev}:${st.ino}`);
        continue;
      }
      const ik = `${f.id.dev}:${f.id.ino}`;
      seen.add(ik);
      const known = this.byInode.get(ik);
      if (known && known.id.fp === f.id.fp) {
        known.path = path;
        await f.fh.close();
        continue;
      }
      if (known) {
        // Same inode, other first line: truncated and rewritten before we saw it shrink.
        await f.fh.close();
        await this.truncated(known);
        this.rescanSoon = true;
        continue;
      }
      opened.push({ path, f });
    }
    for (const [ik, t] of this.byInode) {
      if (seen.has(ik)) continue;
      // Renamed away (log4j's x.log → x.log.1) or deleted: the open handle still reads it to its end.
      this.byInode.delete(ik);
      t.phase = 'draining';
      t.drainingSince = Date.now();
      this.c.rotations.inc();
    }
    const live = { keys: new Set(opened.map((o) => identityKey(o.f.id))), inodes: new Set([...seen]), fps: new Set<string>(), paths: new Set<string>() };
    for (const [key, t] of this.tailers) {
      live.keys.add(key);
      live.inodes.add(`${t.id.dev}:${t.id.ino}`);
      live.fps.add(t.id.fp);
      live.paths.add(t.path);
    }
    const followedBefore = new Set(this.ctx.state.keys().filter((k) => k.startsWith('file:')).map((k) => this.ctx.state.get<SavedOffset>(k)!.path));
    const swept = await sweepRotated(this.ctx.state, opened.map((o) => o.path).concat([...live.paths]), live, this.cfg.fingerprint_bytes);
    this.c.lost.inc(swept.lost);
    this.c.reused.inc(swept.reused);
    for (const d of swept.drain) {
      const t = this.newTailer(d.path, d.f, d.offset, this.tailerCounters, this.assemblerCounters);
      t.phase = 'draining';
      t.drainingSince = Date.now();
      this.track(t);
    }
    for (const { path, f } of opened) {
      const saved = this.ctx.state.get<SavedOffset>(identityKey(f.id));
      let offset = 0;
      if (saved) {
        offset = saved.offset;
        if (offset > f.size) {
          this.c.truncations.inc();
          offset = 0;
        }
      } else if (initial && this.cfg.start_at === 'end' && !followedBefore.has(path)) {
        // start_at is for files we never followed: a path we followed got this file by rotation while we were
        // down, so all of it is new.
        offset = await lastLineEnd(f.fh, f.size);
      }
      this.track(this.newTailer(path, f, offset, this.tailerCounters, this.assemblerCounters));
    }
  }

  /** Copytruncate: finish the old content from its copy (if one is found), then read the file again from 0. */
  private async truncated(t: FileTailer): Promise<void> {
    this.c.truncations.inc();
    this.byInode.delete(`${t.id.dev}:${t.id.ino}`);
    t.phase = 'draining';
    t.drainingSince = Date.now();
    const copy = await findSibling(t.path, t.id, t.readPos, t.id.ino);
    if (copy) t.readRestFrom(copy);
    else {
      // Nothing more to read from the old content: stop reading the handle (it now holds the new content).
      t.drainingSince = 0;
      t.readPos = Number.MAX_SAFE_INTEGER;
    }
    this.rescanSoon = true;
  }

  /** Reads what a file has (up to a fair share per turn); flushes full batches on the way (awaits = backpressure). */
  private async pump(t: FileTailer): Promise<number> {
    if (this.closing.has(t)) return 0;
    let total = 0;
    for (let i = 0; i < MAX_CHUNKS_PER_TURN; i++) {
      const before = this.batch.length;
      let n: number;
      try {
        n = t.readPos === Number.MAX_SAFE_INTEGER ? 0 : await t.readChunk(this.batch);
      } catch (err) {
        this.c.readErrors.inc();
        this.ctx.logger.warn({ err, file: t.path }, 'reading a log file failed; retrying on the next poll');
        return total;
      }
      if (before === 0 && this.batch.length > 0) this.batchSince = Date.now();
      total += n;
      if (this.batch.length >= this.cfg.batch_max_records) await this.flush();
      if (n === 0) {
        if (t.phase === 'active' && t.readPos > (await t.size().catch(() => t.readPos))) await this.truncated(t);
        break;
      }
    }
    return total;
  }

  /** Draining files quiet for multiline_timeout are done: their last line and pending record become records. */
  private finishDrained(now: number): void {
    for (const t of this.tailers.values()) {
      if (t.phase !== 'draining' || this.closing.has(t) || now - t.drainingSince < this.cfg.multiline_timeout) continue;
      const before = this.batch.length;
      t.finish(this.batch);
      if (before === 0 && this.batch.length > 0) this.batchSince = now;
      this.closing.add(t);
    }
  }

  /** emit, then commit: the offsets move only after every sink durably took the records. */
  private async flush(): Promise<void> {
    const records = this.batch;
    this.batch = [];
    const upTo = [...this.tailers.values()].map((t) => [t, t.builtUpTo] as const);
    await this.ctx.emit(records);
    this.c.records.inc(records.length);
    for (const [t, offset] of upTo) {
      if (offset <= t.committed) continue;
      await this.ctx.state.set(identityKey(t.id), { path: t.path, offset, fpLen: t.id.fpLen } satisfies SavedOffset);
      t.committed = offset;
    }
  }

  /** Closes finished files whose every record was acknowledged, and forgets their offsets. */
  private async reap(): Promise<void> {
    if (this.batch.length > 0) return;
    for (const t of this.closing) {
      if (t.committed < t.builtUpTo) continue;
      // Kept as a `done` marker while the file exists, so a restart does not read the rotated file again.
      await this.ctx.state.set(identityKey(t.id), { path: t.path, offset: t.builtUpTo, fpLen: t.id.fpLen, done: true } satisfies SavedOffset);
      await t.close();
      this.closing.delete(t);
      this.tailers.delete(identityKey(t.id));
    }
    this.c.files.set(this.tailers.size);
  }
}
