// THE KILL TEST: the tailer is SIGKILLed again and again while another process writes and rotates its log.
// Offsets are committed (SourceStateStore, atomic JSON) only after emit appended the records to the output, so
// at the end every written record must be there; replays may repeat a record, but always under the same id.
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LogRecord } from '../../src/model';
import { tempDir, until } from './flink-logs-harness';

const CHILD = join(__dirname, 'flink-logs-kill-child.js');
const WRITER = join(__dirname, 'flink-logs-kill-writer.js');
const TOTAL = 8000;

function readOutput(out: string): { records: LogRecord[]; partial: number } {
  if (!existsSync(out)) return { records: [], partial: 0 };
  const records: LogRecord[] = [];
  let partial = 0;
  for (const l of readFileSync(out, 'utf8').split('\n')) {
    if (!l) continue;
    try {
      records.push(JSON.parse(l) as LogRecord);
    } catch {
      partial++; // a write cut by SIGKILL: that batch was never acknowledged, so it is read again
    }
  }
  return { records, partial };
}

const seqOf = (r: LogRecord) => Number(/line (\d+)|$/.exec(r.message)![1] ?? -1);
const exited = (p: ChildProcess) => new Promise<void>((r) => (p.exitCode !== null || p.signalCode !== null ? r() : p.once('exit', () => r())));

describe('flink_logs under SIGKILL while the log is written and rotated', function () {
  this.timeout(180000);

  it('delivers every record, the same id for every replay, across repeated kills', async () => {
    const dir = tempDir('fl-kill-');
    const file = join(dir, 'flink-u-taskexecutor-0-h.log');
    const out = join(dir, 'out.ndjson');
    const dataDir = join(dir, 'data');
    // The agent follows the file before the first rotation (rotated files it never followed are history to it).
    writeFileSync(file, '2026-11-24 23:00:00,000 INFO  org.apache.flink.Banner [] - banner\n');
    let child: ChildProcess | undefined = fork(CHILD, [dir, dataDir, out], { stdio: 'inherit' });
    await until(() => existsSync(join(dataDir, 'state', 'logs.json')), 30000, 'the first offset commit');
    child.kill('SIGKILL');
    await exited(child);
    const writer = fork(WRITER, [file, String(TOTAL), '600'], { stdio: 'inherit' });
    let kills = 1;
    // Kill the tailer at uneven moments until the writer is done; each life reads a little, commits some.
    while (writer.exitCode === null) {
      child = fork(CHILD, [dir, dataDir, out], { stdio: 'inherit' });
      await new Promise((r) => setTimeout(r, 250 + ((kills * 137) % 500)));
      child.kill('SIGKILL');
      await exited(child);
      kills++;
    }
    assert.equal(writer.exitCode, 0);
    child = fork(CHILD, [dir, dataDir, out], { stdio: 'inherit' });
    try {
      await until(() => new Set(readOutput(out).records.map(seqOf).filter((n) => n >= 0)).size >= TOTAL, 60000, `all ${TOTAL} records`).catch((e: Error) => {
        const got = new Set(readOutput(out).records.map(seqOf));
        const missing = [...Array(TOTAL).keys()].filter((i) => !got.has(i));
        throw new Error(`${e.message}: ${missing.length} missing, e.g. ${missing.slice(0, 5)}…${missing.slice(-3)}; state: ${readFileSync(join(dataDir, 'state', 'logs.json'), 'utf8')}`);
      });
    } finally {
      child.kill('SIGKILL');
      await exited(child);
    }
    const { records, partial } = readOutput(out);
    const bySeq = new Map<number, Set<string>>();
    const byId = new Map<string, LogRecord>();
    let duplicates = 0;
    for (const r of records) {
      const seq = seqOf(r);
      if (seq < 0) continue; // the banner
      bySeq.set(seq, (bySeq.get(seq) ?? new Set()).add(r.id));
      const prev = byId.get(r.id);
      if (prev) {
        duplicates++;
        assert.deepEqual({ ...r, labels: {} }, { ...prev, labels: {} }, `a replay of ${r.id} differs`);
      }
      byId.set(r.id, r);
    }
    console.log(`      ${kills} kills, ${records.length} records delivered for ${TOTAL} written: ${duplicates} replayed duplicates (same id), ${partial} cut writes`);
    assert.ok(kills >= 5, `only ${kills} kills`);
    assert.deepEqual([...bySeq.keys()].sort((a, b) => a - b), [...Array(TOTAL).keys()], 'the set of records equals what was written');
    const twoIds = [...bySeq].filter(([, ids]) => ids.size > 1);
    assert.deepEqual(twoIds, [], 'no record came under two different ids (that would be a real duplicate)');
    const traced = records.find((r) => seqOf(r) === 13)!;
    assert.equal(traced.exception?.type, 'java.lang.IllegalStateException');
    assert.deepEqual(traced.exception?.causes, [{ type: 'java.io.IOException', message: 'cause 13' }]);
  });
});
