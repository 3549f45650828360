import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, renameSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { flinkLogsSource } from '../../src/sources/flink-logs';
import { identityKey } from '../../src/sources/flink-logs/file-identity';
import type { SavedOffset } from '../../src/sources/flink-logs/source';
import type { LogRecord, TelemetryRecord } from '../../src/model';
import type { SourceState } from '../../src/sources/types';
import { JsonFileState, tempDir, testContext, until, type TestContext } from './flink-logs-harness';

const line = (seq: number, msg = `line ${seq}`) =>
  `2026-11-24 23:47:${String(seq % 60).padStart(2, '0')},${String(seq % 1000).padStart(3, '0')} INFO  org.apache.flink.Test${' '.repeat(39)} [] - ${msg}\n`;
const seqs = (recs: TelemetryRecord[]) => (recs as LogRecord[]).map((r) => Number(/line (\d+)/.exec(r.message)?.[1]));

function start(dir: string, extra: Record<string, unknown> = {}, ctx: TestContext = testContext()) {
  const cfg = flinkLogsSource.schema.parse({ type: 'flink_logs', paths: [join(dir, '*.log'), join(dir, '*.out')], scan_interval: '100ms', poll_interval: '20ms', multiline_timeout: '100ms', ...extra });
  const src = flinkLogsSource.create(cfg, ctx);
  const done = src.run!();
  return { ctx, src, stop: async () => { ctx.controller.abort(); await done; } };
}

/** Every seq in [0, n) exactly once; returns the duplicate count by id (must be zero here: no crash). */
function assertExactlyOnce(recs: TelemetryRecord[], n: number): void {
  const got = seqs(recs).sort((a, b) => a - b);
  const missing = [...Array(n).keys()].filter((i) => !got.includes(i));
  assert.deepEqual(missing, [], 'missing lines');
  assert.equal(got.length, n, `duplicates: ${got.length - n}`);
  assert.equal(new Set(recs.map((r) => (r as LogRecord).id)).size, n, 'ids are unique');
}

/**
 * Waits until `n` lines were emitted (failing with the first missing ones and the counters), lets anything extra
 * arrive for 300 ms (a duplicate would show up then), stops the source and asserts every line came exactly once.
 */
async function stopWhenAllRead(run: ReturnType<typeof start>, n: number): Promise<void> {
  await until(() => run.ctx.emitted.length >= n, 20000, `${n} lines`).catch((e: Error) => {
    const got = new Set(seqs(run.ctx.emitted));
    throw new Error(`${e.message}; got ${run.ctx.emitted.length}, first missing: ${[...Array(n).keys()].filter((i) => !got.has(i)).slice(0, 10)}; counters ${JSON.stringify(run.ctx.counters)}`);
  });
  await new Promise((r) => setTimeout(r, 300));
  await run.stop();
  assertExactlyOnce(run.ctx.emitted, n);
}

describe('flink_logs tailer', () => {
  it('reads a file, gives deterministic ids, and commits the offset only after emit resolved', async () => {
    const dir = tempDir('fl-ack-');
    const file = join(dir, 'flink-u-taskexecutor-0-h.log');
    writeFileSync(file, line(0) + line(1) + line(2));
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const got: TelemetryRecord[] = [];
    const state = new JsonFileState();
    const ctx = testContext({ state, emit: async (r) => { await gate; got.push(...r); } });
    const run = start(dir, {}, ctx);
    await until(() => state.keys().length === 0 && ctx.counters['log_lines_total'] === 3, 5000, 'lines read');
    await new Promise((r) => setTimeout(r, 300)); // emit is blocked: nothing may be committed meanwhile
    assert.deepEqual(state.keys(), []);
    release();
    await until(() => state.keys().length === 1 && state.get<SavedOffset>(state.keys()[0]!)!.offset === statSync(file).size, 5000, 'offset committed');
    await run.stop();
    const st = statSync(file);
    assert.deepEqual(seqs(got), [0, 1, 2]);
    const r0 = got[0] as LogRecord;
    assert.match(r0.id, new RegExp(`^node-1:${st.dev}:${st.ino}:[0-9a-f]{16}:0$`));
    assert.equal((got[1] as LogRecord).id.split(':').pop(), String(line(0).length));
    assert.equal(r0.component, 'taskmanager');
    assert.equal(r0.stream, 'log');
    assert.equal(r0.attributes['file'], file);
    assert.deepEqual(r0.labels, { cluster: 'test', node: 'node-1' });
  });

  it('resumes from committed offsets after a restart without repeating a line', async () => {
    const dir = tempDir('fl-resume-');
    const file = join(dir, 'a.log');
    writeFileSync(file, line(0) + line(1));
    const state = new JsonFileState(join(dir, 'state.json'));
    const a = start(dir, {}, testContext({ state }));
    await until(() => a.ctx.emitted.length === 2, 5000, 'first run');
    await a.stop();
    appendFileSync(file, line(2) + line(3));
    const b = start(dir, {}, testContext({ state: new JsonFileState(join(dir, 'state.json')) }));
    await until(() => b.ctx.emitted.length === 2, 5000, 'second run');
    await b.stop();
    assert.deepEqual(seqs(b.ctx.emitted), [2, 3]);
  });

  it('start_at: end skips what a never-seen file already holds', async () => {
    const dir = tempDir('fl-end-');
    const file = join(dir, 'a.log');
    writeFileSync(file, line(0) + line(1));
    const a = start(dir, { start_at: 'end' });
    await until(() => a.ctx.counters['log_files_open'] === 1, 5000, 'file open');
    appendFileSync(file, line(2));
    await until(() => a.ctx.emitted.length === 1, 5000, 'new line');
    await a.stop();
    assert.deepEqual(seqs(a.ctx.emitted), [2]);
  });

  it('follows log4j rename rotation under load without losing or repeating a line', async () => {
    const dir = tempDir('fl-rename-');
    const file = join(dir, 'flink-u-standalonesession-0-h.log');
    writeFileSync(file, '');
    const run = start(dir);
    const N = 5000;
    for (let i = 0; i < N; i++) {
      appendFileSync(file, line(i));
      if (i % 700 === 699) {
        for (let k = 3; k >= 1; k--) try { renameSync(`${file}.${k}`, `${file}.${k + 1}`); } catch { /* not there yet */ }
        renameSync(file, `${file}.1`);
        writeFileSync(file, '');
      }
      // Under load (bursts of 50 lines), but a file lives at least a few polls under its name: a tailer cannot
      // read a file that was created and rotated away before it ever saw it.
      if (i % 50 === 0) await new Promise((r) => setTimeout(r, 25));
    }
    await stopWhenAllRead(run, N);
    assert.ok(run.ctx.counters['log_rotations_total']! >= 7);
  });

  it('follows copytruncate (copy, then truncate in place) without losing or repeating a line', async () => {
    const dir = tempDir('fl-copytrunc-');
    const file = join(dir, 'a.log');
    writeFileSync(file, '');
    const run = start(dir);
    const N = 3000;
    for (let i = 0; i < N; i++) {
      appendFileSync(file, line(i));
      if (i % 500 === 499) {
        // logrotate copytruncate: the copy holds everything written so far; the original starts over at 0.
        copyFileSync(file, `${file}.1`);
        truncateSync(file, 0);
      }
      // Under load (bursts of 50 lines), but a file lives at least a few polls under its name: a tailer cannot
      // read a file that was created and rotated away before it ever saw it.
      if (i % 50 === 0) await new Promise((r) => setTimeout(r, 25));
    }
    await stopWhenAllRead(run, N);
    assert.ok(run.ctx.counters['log_truncations_total']! >= 1);
  });

  it('finishes a file rotated while the agent was down, then reads the new one from 0', async () => {
    const dir = tempDir('fl-down-');
    const file = join(dir, 'a.log');
    writeFileSync(file, line(0) + line(1));
    const statePath = join(dir, 'state.json');
    const a = start(dir, {}, testContext({ state: new JsonFileState(statePath) }));
    await until(() => a.ctx.emitted.length === 2, 5000, 'first run');
    await a.stop();
    appendFileSync(file, line(2));
    renameSync(file, `${file}.1`);
    writeFileSync(file, line(3));
    const state = new JsonFileState(statePath);
    // start_at: end is for never-followed files; the new a.log came by rotation of a followed path.
    const b = start(dir, { start_at: 'end' }, testContext({ state }));
    await until(() => b.ctx.emitted.length === 2 && state.keys().some((k) => state.get<SavedOffset>(k)!.done), 5000, 'second run');
    await b.stop();
    assert.deepEqual(seqs(b.ctx.emitted).sort(), [2, 3]);
    // The rotated file is remembered as read to its end, so a third start reads nothing again.
    const c = start(dir, {}, testContext({ state: new JsonFileState(statePath) }));
    appendFileSync(file, line(4));
    await until(() => c.ctx.emitted.length === 1, 5000, 'third run');
    await new Promise((r) => setTimeout(r, 300));
    await c.stop();
    assert.deepEqual(seqs(c.ctx.emitted), [4]);
  });

  it('does not take a reused inode (same dev+inode, other content) for the file it saved', async () => {
    const dir = tempDir('fl-inode-');
    const file = join(dir, 'a.log');
    writeFileSync(file, line(100, 'old first line') + line(101, 'old'));
    const st = statSync(file);
    const state: SourceState = new JsonFileState();
    // The saved offset belongs to the inode's previous content (another fingerprint).
    await state.set(identityKey({ dev: st.dev, ino: st.ino, fp: '0123456789abcdef', fpLen: 10 }), { path: file, offset: 120, fpLen: 10 });
    writeFileSync(file, line(0) + line(1)); // same inode, new content
    assert.equal(statSync(file).ino, st.ino);
    const run = start(dir, {}, testContext({ state }));
    await until(() => run.ctx.emitted.length === 2, 5000, 'both lines');
    await run.stop();
    assert.deepEqual(seqs(run.ctx.emitted), [0, 1]);
    assert.equal(run.ctx.counters['log_inode_reuse_total'], 1);
  });

  it('cuts over-long lines, keeps invalid UTF-8 and binary garbage readable, and counts both', async () => {
    const dir = tempDir('fl-garbage-');
    const file = join(dir, 'a.log');
    const long = line(0, 'x'.repeat(5000));
    writeFileSync(file, Buffer.concat([Buffer.from(long), Buffer.from('2026-11-24 23:47:01,000 WARN  a.B [] - bad \xff\xfe bytes\n', 'latin1'),
      Buffer.from([0, 1, 2, 0xc3, 0x28, 10]), Buffer.from(line(3))]));
    const run = start(dir, { max_line_bytes: 1024 });
    await until(() => run.ctx.emitted.length === 3, 5000, 'three records');
    await run.stop();
    const [a, b] = run.ctx.emitted as LogRecord[];
    assert.equal(line(0, '').length - 1 + a!.message.length, 1024);
    assert.equal(b!.message, 'bad \uFFFD\uFFFD bytes\n\uFFFD\uFFFD\uFFFD\uFFFD(');
    assert.equal(run.ctx.counters['log_lines_truncated_total'], 1);
    assert.equal(run.ctx.counters['log_invalid_utf8_lines_total'], 2);
  });

  it('sends the last stack trace of a quiet file after multiline_timeout, joined', async () => {
    const dir = tempDir('fl-quiet-');
    const file = join(dir, 'a.log');
    writeFileSync(file, line(0, 'failed') + 'java.lang.IllegalStateException: nope\n\tat a.B.c(B.java:1)\nCaused by: java.io.IOException: eof\n\t... 3 more\n');
    const run = start(dir);
    await until(() => run.ctx.emitted.length === 1, 5000, 'the joined record');
    await run.stop();
    const r = run.ctx.emitted[0] as LogRecord;
    assert.equal(r.exception?.type, 'java.lang.IllegalStateException');
    assert.deepEqual(r.exception?.causes, [{ type: 'java.io.IOException', message: 'eof' }]);
  });

  it('reads .out files one record per line as stream "out"', async () => {
    const dir = tempDir('fl-out-');
    writeFileSync(join(dir, 'flink-u-taskexecutor-0-h.out'), '(0,80,1291.69,1795564055888)\n(1,100,2820.93,1795564054588)\n');
    const run = start(dir);
    await until(() => run.ctx.emitted.length === 2, 5000, 'two lines');
    await run.stop();
    const r = run.ctx.emitted as LogRecord[];
    assert.deepEqual(r.map((x) => [x.stream, x.component, x.level, x.message]), [
      ['out', 'taskmanager', 'INFO', '(0,80,1291.69,1795564055888)'], ['out', 'taskmanager', 'INFO', '(1,100,2820.93,1795564054588)']]);
  });

  it('previews the last records of each file without committing anything', async () => {
    const dir = tempDir('fl-preview-');
    writeFileSync(join(dir, 'a.log'), Array.from({ length: 50 }, (_, i) => line(i)).join(''));
    const state = new JsonFileState();
    const ctx = testContext({ state });
    const cfg = flinkLogsSource.schema.parse({ type: 'flink_logs', paths: [join(dir, '*.log')], preview_lines: 5 });
    const recs = await flinkLogsSource.create(cfg, ctx).preview!(new AbortController().signal);
    assert.deepEqual(seqs(recs), [45, 46, 47, 48, 49]);
    assert.deepEqual(state.keys(), []);
  });

  it('rejects a bad time zone and a bad size with a message naming the field', () => {
    const r = flinkLogsSource.schema.safeParse({ type: 'flink_logs', timezone: 'Mars/Olympus', max_line_bytes: '12 parsecs' });
    assert.equal(r.success, false);
    const msgs = r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
    assert.match(msgs, /timezone: not an IANA time zone/);
    assert.match(msgs, /max_line_bytes: "12 parsecs" is not a size/);
  });
});
