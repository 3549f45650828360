import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { ComponentContext } from '../../src/component';
import type { TelemetryRecord } from '../../src/model';
import { FileSink } from '../../src/sinks/file';
import { fileSinkSchema } from '../../src/sinks/file/schema';
import { StdoutSink } from '../../src/sinks/stdout';
import { textLine } from '../../src/sinks/stdout/encode';
import { stdoutSinkSchema } from '../../src/sinks/stdout/schema';
import { logRecord, logRecords, tempDir } from '../pipeline/helpers';

function ctx(dataDir: string, name = 'archive'): ComponentContext {
  return {
    name,
    agent: { cluster: 'c', node: 'n', labels: {}, dataDir },
    logger: pino({ level: 'silent' }),
    metrics: { counter: () => ({ inc: () => undefined }), gauge: () => ({ set: () => undefined }) },
    status: { error: () => undefined, ok: () => undefined },
  };
}
const readLines = (path: string) => readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id: string });

describe('file sink', () => {
  it('parses defaults: path from the data dir, 64MiB, 5 files, disk buffer; rejects unknown fields', () => {
    const cfg = fileSinkSchema.parse({ type: 'file', inputs: ['logs'] });
    assert.equal(cfg.path, undefined);
    assert.equal(cfg.max_file_size, 64 * 1024 * 1024);
    assert.equal(cfg.max_files, 5);
    assert.equal(cfg.buffer.type, 'disk');
    assert.equal(fileSinkSchema.parse({ type: 'file', inputs: ['x'], max_file_size: '1KiB' }).max_file_size, 1024);
    assert.equal(fileSinkSchema.safeParse({ type: 'file', inputs: ['x'], max_size: '1KiB' }).success, false);
  });

  it('writes one JSON object per line to <dataDir>/out/<name>.ndjson', async () => {
    const dir = tempDir('fta-file-');
    const sink = new FileSink(fileSinkSchema.parse({ type: 'file', inputs: ['x'] }), ctx(dir));
    assert.deepEqual(await sink.send(logRecords(0, 3)), { kind: 'ok' });
    await sink.send(logRecords(3, 2));
    await sink.close();
    const lines = readLines(join(dir, 'out', 'archive.ndjson'));
    assert.deepEqual(lines.map((l) => l.id), ['r-0', 'r-1', 'r-2', 'r-3', 'r-4']);
    assert.deepEqual(lines[0], logRecord(0));
  });

  it('rotates by size and keeps max_files files, deleting the oldest', async () => {
    const dir = tempDir('fta-file-');
    const path = join(dir, 'o.ndjson');
    const sink = new FileSink(fileSinkSchema.parse({ type: 'file', inputs: ['x'], path, max_file_size: 600, max_files: 3 }), ctx(dir));
    for (let i = 0; i < 40; i++) await sink.send(logRecords(i, 1));
    await sink.close();
    assert.deepEqual(readdirSync(dir).sort(), ['o.ndjson', 'o.ndjson.1', 'o.ndjson.2']);
    const newest = readLines(path).map((l) => l.id);
    assert.equal(newest.at(-1), 'r-39');
    const previous = readLines(`${path}.1`).map((l) => l.id);
    assert.equal(Number(previous.at(-1)!.slice(2)) + 1, Number(newest[0]!.slice(2)), 'rotated file continues where the previous ended');
    for (const f of readdirSync(dir)) assert.ok(readFileSync(join(dir, f)).length <= 600);
  });

  it('cuts a torn last line (kill -9 mid-write) before appending', async () => {
    const dir = tempDir('fta-file-');
    const path = join(dir, 'o.ndjson');
    writeFileSync(path, JSON.stringify(logRecord(0)) + '\n');
    appendFileSync(path, '{"kind":"log","id":"r-1","mess');
    const sink = new FileSink(fileSinkSchema.parse({ type: 'file', inputs: ['x'], path }), ctx(dir));
    await sink.send(logRecords(1, 2));
    await sink.close();
    assert.deepEqual(readLines(path).map((l) => l.id), ['r-0', 'r-1', 'r-2']);
  });

  it('answers retry (never reject, never throw) when the file cannot be written', async () => {
    const dir = tempDir('fta-file-');
    mkdirSync(join(dir, 'blocked'));
    writeFileSync(join(dir, 'blocked', 'sub'), 'a file where a directory should be');
    const sink = new FileSink(fileSinkSchema.parse({ type: 'file', inputs: ['x'], path: join(dir, 'blocked', 'sub', 'o.ndjson') }), ctx(dir));
    const r = await sink.send(logRecords(0, 1));
    assert.equal(r.kind, 'retry');
    assert.match(r.kind === 'retry' ? r.reason : '', /cannot write .*o\.ndjson/);
  });
});

describe('stdout sink', () => {
  function capture(): { out: Writable; text: () => string } {
    const chunks: string[] = [];
    const out = new Writable({ write: (c: Buffer, _e, cb) => (chunks.push(c.toString()), cb()) });
    return { out, text: () => chunks.join('') };
  }

  it('prints NDJSON by default', async () => {
    const { out, text } = capture();
    const sink = new StdoutSink(stdoutSinkSchema.parse({ type: 'stdout', inputs: ['x'] }), out);
    assert.deepEqual(await sink.send(logRecords(0, 2)), { kind: 'ok' });
    assert.deepEqual(text().trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id), ['r-0', 'r-1']);
  });

  it('prints one readable line per record in text format, even for multi-line messages', async () => {
    const sample: TelemetryRecord = { kind: 'sample', name: 'flink_jobmanager_numRunningJobs', labels: { host: 'h', cluster: 'c' }, value: 3, timestampMs: 0 };
    const log: TelemetryRecord = {
      ...logRecord(1, 'Checkpoint failed\n\tat Foo'), level: 'ERROR', logger: 'o.a.f.CheckpointCoordinator', component: 'jobmanager',
      exception: { type: 'java.io.IOException', message: 'disk\nfull', stack: '', causes: [] },
    };
    assert.equal(textLine(sample), '1970-01-01T00:00:00.000Z flink_jobmanager_numRunningJobs{cluster="c",host="h"} 3');
    assert.equal(textLine(log), '2023-11-14T22:13:20.001Z ERROR jobmanager o.a.f.CheckpointCoordinator: Checkpoint failed\\n\tat Foo | java.io.IOException: disk\\nfull');
    const { out, text } = capture();
    await new StdoutSink({ format: 'text' }, out).send([sample, log]);
    assert.equal(text().split('\n').length, 3);
  });
});
