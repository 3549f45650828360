import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SourceStateStore } from '../../src/pipeline/source-state';
import { captureLogger, tempDir } from './helpers';

describe('SourceStateStore', () => {
  it('persists values across reopen in <dataDir>/state/<source>.json', async () => {
    const dir = tempDir();
    const a = await SourceStateStore.open(dir, 'flink/logs');
    await a.set('offset:/var/log/flink/jm.log', { inode: 42, offset: 1234 });
    await a.set('cursor', 's=abc');
    await a.delete('cursor');
    const b = await SourceStateStore.open(dir, 'flink/logs');
    assert.deepEqual(b.get('offset:/var/log/flink/jm.log'), { inode: 42, offset: 1234 });
    assert.equal(b.get('cursor'), undefined);
    assert.deepEqual(b.keys(), ['offset:/var/log/flink/jm.log']);
    assert.deepEqual(readdirSync(join(dir, 'state')), ['flink_logs.json'], 'name made safe, no tmp file left');
  });

  it('serializes concurrent writes: the file ends with the last value set', async () => {
    const dir = tempDir();
    const s = await SourceStateStore.open(dir, 'src');
    await Promise.all(Array.from({ length: 200 }, (_, i) => s.set('n', i)));
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'state', 'src.json'), 'utf8')), { n: 199 });
  });

  it('moves an unreadable file aside with a warning and starts empty', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'state'));
    writeFileSync(join(dir, 'state', 'src.json'), '{"n": 1');
    const { logger, lines } = captureLogger();
    const s = await SourceStateStore.open(dir, 'src', logger);
    assert.deepEqual(s.keys(), []);
    assert.ok(readdirSync(join(dir, 'state')).some((f) => f.startsWith('src.json.corrupt-')));
    assert.match(String(lines[0]!.msg), /unreadable/);
  });
});
