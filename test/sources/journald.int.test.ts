// journald source against the real journalctl, reading real .journal files that systemd-journal-remote builds from
// journal EXPORT text written by the test (there is no running journald here). Installs what it needs.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { journaldSource } from '../../src/sources/journald';
import { CURSOR_KEY } from '../../src/sources/journald/source';
import type { LogRecord } from '../../src/model';
import { JsonFileState, tempDir, testContext, until, type TestContext } from './flink-logs-harness';

const JOURNAL_REMOTE = '/lib/systemd/systemd-journal-remote';

function ensureJournalRemote(): void {
  if (existsSync(JOURNAL_REMOTE)) return;
  const install = () => spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'systemd-journal-remote'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (install().status !== 0) {
    spawnSync('apt-get', ['update'], { stdio: 'inherit' });
    if (install().status !== 0) throw new Error('cannot install systemd-journal-remote (apt-get install -y systemd-journal-remote, as root)');
  }
}

let clock = 1_795_564_000_000_000;
/** One entry in journal export format; values with a newline or non-UTF-8 bytes use the binary form. */
function entry(unit: string, message: string | Buffer, extra: Record<string, string> = {}): Buffer {
  clock += 1000;
  const fields: Array<[string, string | Buffer]> = [
    ['__REALTIME_TIMESTAMP', String(clock)], ['__MONOTONIC_TIMESTAMP', String(clock)], ['_BOOT_ID', '0123456789abcdef0123456789abcdef'],
    ['_SYSTEMD_UNIT', unit], ['SYSLOG_IDENTIFIER', 'java'], ['_PID', extra['_PID'] ?? '4242'], ['PRIORITY', extra['PRIORITY'] ?? '6'], ['MESSAGE', message],
  ];
  const parts: Buffer[] = [];
  for (const [k, v] of fields) {
    const b = Buffer.isBuffer(v) ? v : Buffer.from(v);
    if (Buffer.isBuffer(v) || v.includes('\n')) {
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(b.length));
      parts.push(Buffer.from(k + '\n'), len, b, Buffer.from('\n'));
    } else parts.push(Buffer.from(`${k}=${v}\n`));
  }
  parts.push(Buffer.from('\n'));
  return Buffer.concat(parts);
}

function appendJournal(file: string, entries: Buffer[]): void {
  execFileSync(JOURNAL_REMOTE, [`--output=${file}`, '-'], { input: Buffer.concat(entries), stdio: ['pipe', 'ignore', 'pipe'] });
}

const flink = (ts: string, level: string, msg: string) => `2026-11-24 ${ts} ${level.padEnd(5)} org.apache.flink.runtime.taskmanager.Task${' '.repeat(20)} [] - ${msg}`;
const TM = 'flink-taskmanager.service';
const JM = 'flink-jobmanager.service';

function start(file: string, ctx: TestContext, extra: Record<string, unknown> = {}) {
  const cfg = journaldSource.schema.parse({ type: 'journald', files: [file], units: [TM, JM], start_at: 'beginning', timezone: 'UTC', multiline_timeout: '200ms', batch_max_wait: '50ms', restart_delay: '200ms', ...extra });
  const done = journaldSource.create(cfg, ctx).run!();
  return async () => { ctx.controller.abort(); await done; };
}

describe('journald source [needs: journalctl + systemd-journal-remote (installed by the test)]', function () {
  this.timeout(120000);
  before(ensureJournalRemote);

  it('re-joins a stack trace split over entries, per unit, decodes byte-array messages, and filters units', async () => {
    const file = join(tempDir('jd-join-'), 'flink.journal');
    appendJournal(file, [
      entry(TM, flink('23:50:13,002', 'ERROR', 'Task failed with an exception')),
      entry(TM, 'java.lang.RuntimeException: boom'),
      entry(JM, flink('23:50:13,003', 'INFO', 'Completed checkpoint 16 for job 90dd6a1e5c8b2f4e7a3d1c0b9f8e7d6c (1 bytes).')), // interleaved
      entry(TM, '\tat com.example.MyMap.map(MyMap.java:12) ~[?:?]'),
      entry(TM, 'Caused by: java.io.IOException: eof'),
      entry('other.service', 'not ours'),
      entry(TM, Buffer.from([0x62, 0x61, 0x64, 0x20, 0xff, 0xfe]), { PRIORITY: '3', _PID: '999' }), // another process of the unit
      entry(TM, flink('23:50:14,000', 'WARN', 'after')),
      entry(JM, `${flink('23:50:15,000', 'INFO', 'first of one entry')}\n${flink('23:50:15,001', 'INFO', 'second of one entry')}`),
    ]);
    const ctx = testContext();
    const stop = start(file, ctx);
    await until(() => ctx.emitted.length === 6, 20000, 'six records');
    await stop();
    const recs = ctx.emitted as LogRecord[];
    const failed = recs.find((r) => r.level === 'ERROR' && r.exception)!;
    assert.equal(failed.message, 'Task failed with an exception');
    assert.equal(failed.timestampMs, Date.UTC(2026, 10, 24, 23, 50, 13, 2));
    assert.equal(failed.exception?.type, 'java.lang.RuntimeException');
    assert.deepEqual(failed.exception?.causes, [{ type: 'java.io.IOException', message: 'eof' }]);
    assert.equal(failed.component, 'taskmanager');
    assert.equal(failed.stream, 'journald');
    assert.equal(failed.attributes['unit'], TM);
    const cp = recs.find((r) => r.component === 'jobmanager')!;
    assert.equal(cp.attributes['checkpoint_id'], '16');
    const bin = recs.find((r) => r.message.startsWith('bad'))!;
    assert.equal(bin.message, 'bad \uFFFD\uFFFD');
    assert.equal(bin.level, 'ERROR'); // no Flink header: the level comes from PRIORITY=3
    assert.equal(ctx.counters['journal_binary_messages_total'], 1);
    assert.ok(!recs.some((r) => r.message === 'not ours'));
    const [a, b] = [recs.find((r) => r.message === 'first of one entry')!, recs.find((r) => r.message === 'second of one entry')!];
    assert.equal(b.id, `${a.id}:1`, 'two records from one entry get distinct ids');
  });

  it('commits the cursor only after emit resolved, and resumes after it with the same ids', async () => {
    const dir = tempDir('jd-cursor-');
    const file = join(dir, 'flink.journal');
    appendJournal(file, [1, 2, 3].map((i) => entry(TM, flink(`23:00:0${i},000`, 'INFO', `line ${i}`))));
    const statePath = join(dir, 'state.json');
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const state = new JsonFileState(statePath);
    const first: LogRecord[] = [];
    const ctx = testContext({ state, emit: async (r) => { await gate; first.push(...(r as LogRecord[])); } });
    const stop = start(file, ctx);
    await until(() => ctx.counters['journal_entries_total'] === 3, 20000, 'entries read');
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(state.get(CURSOR_KEY), undefined, 'no cursor before the sinks took the records');
    release();
    await until(() => first.length === 3 && state.get(CURSOR_KEY) !== undefined, 20000, 'cursor committed');
    // The last record is still pending (a trace might follow): the cursor stops before it.
    await until(() => state.get<string>(CURSOR_KEY)!.includes(';i=3;'), 20000, 'cursor of the last entry');
    await stop();
    appendJournal(file, [4, 5].map((i) => entry(TM, flink(`23:00:0${i},000`, 'INFO', `line ${i}`))));
    const ctx2 = testContext({ state: new JsonFileState(statePath) });
    const stop2 = start(file, ctx2);
    await until(() => ctx2.emitted.length === 2, 20000, 'the new entries');
    await new Promise((r) => setTimeout(r, 400));
    await stop2();
    assert.deepEqual((ctx2.emitted as LogRecord[]).map((r) => r.message), ['line 4', 'line 5']);
    // From the start again (no cursor): the same entries get the same ids.
    const ctx3 = testContext();
    const stop3 = start(file, ctx3);
    await until(() => ctx3.emitted.length === 5, 20000, 'all five again');
    await stop3();
    assert.deepEqual((ctx3.emitted as LogRecord[]).slice(0, 3).map((r) => r.id), first.map((r) => r.id));
  });

  it('previews the last entries without committing a cursor', async () => {
    const file = join(tempDir('jd-preview-'), 'flink.journal');
    appendJournal(file, [entry(TM, flink('23:00:01,000', 'INFO', 'line 1')), entry(TM, 'java.lang.IllegalStateException: x'), entry(TM, flink('23:00:02,000', 'INFO', 'line 2'))]);
    const state = new JsonFileState();
    const cfg = journaldSource.schema.parse({ type: 'journald', files: [file], timezone: 'UTC' });
    const recs = (await journaldSource.create(cfg, testContext({ state })).preview!(new AbortController().signal)) as LogRecord[];
    assert.deepEqual(recs.map((r) => [r.message, r.exception?.type]), [['line 1', 'java.lang.IllegalStateException'], ['line 2', undefined]]);
    assert.deepEqual(state.keys(), []);
  });

  it('drops a cursor journalctl refuses and reads from start_at, counted', async () => {
    const file = join(tempDir('jd-bad-'), 'flink.journal');
    appendJournal(file, [entry(TM, flink('23:00:01,000', 'INFO', 'line 1'))]);
    const state = new JsonFileState();
    await state.set(CURSOR_KEY, 's=deadbeef;i=99');
    const ctx = testContext({ state });
    const stop = start(file, ctx);
    await until(() => ctx.emitted.length === 1, 20000, 'the entry');
    await stop();
    assert.equal(ctx.counters['journal_cursor_invalid_total'], 1);
  });

  it('says how to grant journal access when journalctl may not read it', async () => {
    const dir = tempDir('jd-perm-');
    chmodSync(dir, 0o755);
    appendJournal(join(dir, 'flink.journal'), [entry(TM, 'x')]);
    // A real refusal: as root, journalctl runs as nobody on a root-only file; otherwise the file is unreadable to us.
    chmodSync(join(dir, 'flink.journal'), process.getuid?.() === 0 ? 0o640 : 0o000);
    const wrapper = join(dir, 'journalctl-as-nobody');
    writeFileSync(wrapper, process.getuid?.() === 0 ? '#!/bin/sh\nexec setpriv --reuid=65534 --regid=65534 --clear-groups journalctl "$@"\n' : '#!/bin/sh\nexec journalctl "$@"\n', { mode: 0o755 });
    const ctx = testContext();
    const cfg = journaldSource.schema.parse({ type: 'journald', directory: dir, journalctl_path: wrapper, restart_delay: '10s' });
    const done = journaldSource.create(cfg, ctx).run!();
    await until(() => ctx.errors.length > 0, 20000, 'a status error');
    ctx.controller.abort();
    await done;
    assert.match(ctx.errors[0]!, /insufficient permissions.*systemd-journal group/);
  });

  it('reports a missing journalctl binary clearly', async () => {
    const ctx = testContext();
    const cfg = journaldSource.schema.parse({ type: 'journald', journalctl_path: '/nonexistent/journalctl', restart_delay: '10s' });
    const done = journaldSource.create(cfg, ctx).run!();
    await until(() => ctx.errors.length > 0, 20000, 'a status error');
    ctx.controller.abort();
    await done;
    assert.match(ctx.errors[0]!, /journalctl not found \(\/nonexistent\/journalctl\)/);
  });
});
