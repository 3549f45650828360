import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import type { TelemetryRecord } from '../../src/model';
import { DeadLetterFile } from '../../src/pipeline/dead-letter';
import { PipelineMetrics } from '../../src/pipeline/metrics';
import { deadLetterOptions } from '../../src/pipeline/sink-options';
import { SinkRunner } from '../../src/pipeline/sink-runner';
import { captureLogger, FakeClock, logRecord, logRecords, ScriptedSink, tempDir } from './helpers';

const NOW = 1_700_000_000_000;
const REASON = 'HTTP 400: mapper_parsing_exception';
/** The bytes `DeadLetterFile` writes for one record (its format, at the fixed clock). */
const lineBytes = (r: TelemetryRecord): number =>
  Buffer.byteLength(JSON.stringify({ at: new Date(NOW).toISOString(), sink: 'out', reason: REASON, record: r }) + '\n');
// Ids r-100 … r-999 and messages `line 100` … have the same width, so every line has the same length.
const L = lineBytes(logRecord(100));

function deadLetterFile(maxBytes: number, dir = tempDir()) {
  const { logger, lines } = captureLogger();
  const discarded: number[] = [];
  const path = join(dir, 'dead-letter', 'out.ndjson');
  const file = new DeadLetterFile({ path, sink: 'out', maxBytes, logger, discarded: (n) => discarded.push(n), now: () => NOW });
  return { file, path, older: `${path}.1`, dir, discarded, logs: lines };
}

/** Record ids in a dead-letter file, in file order ([] when it does not exist). */
function ids(path: string): string[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (JSON.parse(l) as { record: { id: string } }).record.id);
}
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => `r-${from + i}`);
const fileSize = (path: string) => (existsSync(path) ? readFileSync(path).length : 0);
const warnings = (logs: Array<Record<string, unknown>>) => logs.filter((l) => l.level === 40);

describe('DeadLetterFile', () => {
  it('rotates to .1 when the current file would pass half the bound, replacing the older .1 and keeping the newest', async () => {
    const { file, path, older, discarded } = deadLetterFile(20 * L); // 10 lines per generation
    for (let i = 100; i < 125; i++) await file.write([logRecord(i)], REASON);
    assert.deepEqual(ids(path), range(120, 5));
    assert.deepEqual(ids(older), range(110, 10));
    assert.deepEqual(discarded, [10], 'the first rotation replaced no .1; the second replaced r-100 … r-109');
    assert.ok(fileSize(path) + fileSize(older) <= 20 * L);
  });

  it('rotates before a batch that would not fit, so a write never spans two files', async () => {
    const { file, path, older, discarded } = deadLetterFile(20 * L);
    await file.write(logRecords(100, 9), REASON);
    await file.write(logRecords(109, 3), REASON);
    assert.deepEqual(ids(older), range(100, 9));
    assert.deepEqual(ids(path), range(109, 3));
    assert.deepEqual(discarded, []);
  });

  it('logs one warning per rotation that discards, naming the sink, the file and the records discarded', async () => {
    const { file, older, logs } = deadLetterFile(4 * L); // 2 lines per generation
    for (let i = 100; i < 110; i++) await file.write([logRecord(i)], REASON);
    // Rotations before r-102, r-104, r-106, r-108; the first found no .1.
    const warns = warnings(logs);
    assert.equal(warns.length, 3);
    for (const w of warns) {
      assert.deepEqual([w.sink, w.file, w.discarded], ['out', older, 2]);
      assert.match(String(w.msg), new RegExp(`sink out: .*dead_letter.max_bytes.*discarding the 2 records`));
    }
  });

  it('counts the lines of files a previous run left once at start, so their records are counted when discarded', async () => {
    const dir = tempDir();
    const first = deadLetterFile(20 * L, dir);
    await first.file.write(logRecords(100, 7), REASON); // current: 7 lines
    await first.file.write(logRecords(107, 5), REASON); // rotates: .1 = 7 lines, current = 5 lines
    assert.deepEqual([ids(first.older).length, ids(first.path).length], [7, 5]);

    const second = deadLetterFile(20 * L, dir); // a restart: nothing in memory
    await second.file.write(logRecords(112, 4), REASON); // 5 + 4 lines fit: the existing size counts
    assert.deepEqual(ids(second.path), [...range(107, 5), ...range(112, 4)]);
    assert.deepEqual(second.discarded, []);
    await second.file.write(logRecords(116, 2), REASON); // 9 + 2 > 10: .1 (7 lines from the last run) goes
    await second.file.write(logRecords(118, 10), REASON); // .1 (5 + 4 lines, partly from the last run) goes
    assert.deepEqual(second.discarded, [7, 9]);
    assert.deepEqual(warnings(second.logs).map((w) => w.discarded), [7, 9]);
  });

  it('takes a single write larger than the bound whole, after rotating, and rotates it away on the next write', async () => {
    const { file, path, older, discarded } = deadLetterFile(4 * L);
    await file.write([logRecord(100)], REASON);
    await file.write(logRecords(101, 10), REASON);
    assert.deepEqual(ids(older), ['r-100']);
    assert.deepEqual(ids(path), range(101, 10), 'all ten records written although they need 2.5× the bound');
    await file.write([logRecord(111)], REASON);
    assert.deepEqual(ids(older), range(101, 10));
    assert.deepEqual(ids(path), ['r-111']);
    assert.deepEqual(discarded, [1]);
  });

  it('writes a large record into an empty file without rotating', async () => {
    const { file, path, older, logs } = deadLetterFile(4 * L);
    await file.write(logRecords(100, 5), REASON);
    assert.deepEqual(ids(path), range(100, 5));
    assert.equal(existsSync(older), false);
    assert.deepEqual(warnings(logs), []);
  });

  it('never interleaves concurrent writes, acknowledges each only once its lines are on disk, and counts every record', async () => {
    const { file, path, older, discarded } = deadLetterFile(64 * 1024);
    const writes: Array<Promise<void>> = [];
    const seenAtAck: boolean[] = [];
    let next = 100;
    for (let w = 0; w < 60; w++) {
      // From one short line to two 100 KiB lines (each alone larger than a generation).
      const batch = w % 7 === 3 ? [logRecord(next, 'x'.repeat(100 * 1024)), logRecord(next + 1, 'y'.repeat(100 * 1024))] : logRecords(next, 1 + (w % 5));
      next += batch.length;
      const last = (batch.at(-1) as { id: string }).id;
      writes.push(file.write(batch, REASON).then(() => void seenAtAck.push(ids(path).includes(last))));
    }
    await Promise.all(writes);
    assert.equal(seenAtAck.length, 60);
    assert.ok(seenAtAck.every(Boolean), 'each write resolved only after its last line was in the current file');
    // Every line parses (no torn or interleaved line) and the survivors are the newest, in order.
    const kept = [...ids(older), ...ids(path)];
    const all = range(100, next - 100);
    assert.deepEqual(kept, all.slice(all.length - kept.length));
    assert.equal(kept.length + discarded.reduce((a, b) => a + b, 0), all.length, 'kept + discarded = written');
  });

  it('does not count a .1 an operator deleted, nor fail when the current file was deleted', async () => {
    const { file, path, older, discarded, logs } = deadLetterFile(4 * L);
    await file.write(logRecords(100, 2), REASON);
    await file.write(logRecords(102, 2), REASON); // .1 = r-100, r-101
    unlinkSync(older);
    await file.write(logRecords(104, 2), REASON); // rotates onto nothing
    assert.deepEqual(discarded, []);
    unlinkSync(path);
    await file.write(logRecords(106, 2), REASON); // memory says full, the file is gone: nothing to rotate
    assert.deepEqual([ids(older), ids(path)], [range(102, 2), range(106, 2)]);
    assert.deepEqual(warnings(logs), []);
  });

  it('rejects a write it cannot do and succeeds once the directory can be made', async () => {
    const { file, path, dir } = deadLetterFile(4 * L);
    writeFileSync(join(dir, 'dead-letter'), 'not a directory');
    await assert.rejects(file.write([logRecord(100)], REASON), /EEXIST|ENOTDIR/);
    rmSync(join(dir, 'dead-letter'));
    await file.write([logRecord(101)], REASON);
    assert.deepEqual(ids(path), ['r-101']);
  });
  it('cuts a write that stopped part-way (file size limit) back, so its retry leaves no torn line and no duplicate', () => {
    const dir = tempDir();
    const path = join(dir, 'dead-letter', 'out.ndjson');
    // A real short write: the kernel's file size limit (ulimit -f, KiB) stops appendFile mid-buffer with EFBIG.
    // The handler keeps SIGXFSZ from killing the child, so the write returns the error instead.
    const script = `
      process.on('SIGXFSZ', () => undefined);
      const { DeadLetterFile } = require(${JSON.stringify(require.resolve('../../src/pipeline/dead-letter'))});
      const record = (i) => ({ kind: 'log', id: 'r-' + i, message: 'x'.repeat(300) });
      const file = new DeadLetterFile({ path: ${JSON.stringify(path)}, sink: 'out', maxBytes: 1 << 30, logger: { warn() {} }, discarded() {} });
      (async () => {
        await file.write([record(1)], 'first');
        const err = await file.write(Array.from({ length: 40 }, (_, i) => record(100 + i)), 'too big').then(() => 'written', (e) => e.code);
        await file.write([record(2)], 'after');
        console.log(err);
      })();`;
    const out = execFileSync('bash', ['-c', 'ulimit -f 8 && exec "$0" -e "$1"', process.execPath, script], { encoding: 'utf8' });
    assert.equal(out.trim(), 'EFBIG');
    assert.deepEqual(ids(path), ['r-1', 'r-2']);
  });
});

describe('dead_letter options', () => {
  it('default to 100 MiB and read sizes with units', () => {
    assert.equal(deadLetterOptions.parse({}).max_bytes, 100 * 1024 * 1024);
    assert.equal(deadLetterOptions.parse({ max_bytes: '8MiB' }).max_bytes, 8 * 1024 * 1024);
    assert.throws(() => deadLetterOptions.parse({ max_bytes: '8 parsecs' }), /not a size/);
    assert.throws(() => deadLetterOptions.parse({ max_bytes: '8MiB', enabled: false }), /enabled/);
  });
});

describe('SinkRunner dead_letter.max_bytes', () => {
  it('bounds the files of a sink that rejects everything and counts every record discarded', async () => {
    const dataDir = tempDir();
    const registry = new Registry();
    const { logger } = captureLogger();
    const sink = new ScriptedSink(() => ({ kind: 'reject', reason: REASON }));
    const config = {
      batch: { max_events: 10, max_bytes: 1 << 20, timeout: 0 },
      buffer: { type: 'memory' as const, max_size: 64 << 20, when_full: 'block' as const },
      retry: { initial_backoff: 100, max_backoff: 10_000, max_elapsed: 0 },
      request: { concurrency: 2, timeout: 30_000 },
      dead_letter: { max_bytes: 8 * 1024 },
    };
    const r = new SinkRunner({ name: 'out', sink, config, dataDir, logger, metrics: PipelineMetrics.for(registry), clock: new FakeClock() });
    for (let i = 0; i < 20; i++) await r.enqueue(logRecords(100 + i * 10, 10)); // memory buffer: resolves once dead-lettered
    await r.stop(1000);
    const path = join(dataDir, 'dead-letter', 'out.ndjson');
    const onDisk = ids(path).length + ids(`${path}.1`).length;
    assert.equal(r.status().counters.deadLettered, 200);
    assert.ok(fileSize(path) + fileSize(`${path}.1`) <= 8 * 1024);
    const text = await registry.metrics();
    const discarded = Number(/fta_sink_dead_letter_discarded_events_total\{sink="out"\} (\d+)/.exec(text)?.[1]);
    assert.ok(discarded > 0, 'rotations discarded records');
    assert.equal(discarded + onDisk, 200, 'dead-lettered = on disk + discarded');
  });

  it('exposes the discarded counter at 0 before any rotation', async () => {
    const registry = new Registry();
    const { logger } = captureLogger();
    const r = new SinkRunner({
      name: 'quiet', sink: new ScriptedSink(), dataDir: tempDir(), logger, metrics: PipelineMetrics.for(registry),
      config: { batch: { max_events: 10, max_bytes: 1 << 20, timeout: 0 }, buffer: { type: 'memory', max_size: 1 << 20, when_full: 'block' }, retry: { initial_backoff: 100, max_backoff: 1000, max_elapsed: 0 }, request: { concurrency: 1, timeout: 1000 }, dead_letter: { max_bytes: 100 << 20 } },
    });
    assert.match(await registry.metrics(), /fta_sink_dead_letter_discarded_events_total\{sink="quiet"\} 0/);
    await r.stop(1000);
  });
});
