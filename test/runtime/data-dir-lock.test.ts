import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { lockDataDir } from '../../src/runtime/data-dir-lock';
import { AgentError } from '../../src/errors';

describe('data directory lock', () => {
  it('refuses a second holder while the first is alive, naming the pid and the fix', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fta-lock-'));
    // Another live process holds the lock.
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      writeFileSync(join(dir, 'agent.lock'), String(other.pid));
      assert.throws(
        () => lockDataDir(dir),
        (err: unknown) =>
          err instanceof AgentError && err.code === 'AGT_DATA_DIR_LOCKED' && err.message.includes(`pid ${other.pid}`) && err.message.includes('agent.data_dir'),
      );
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('takes over a lock left by a dead process (kill -9) and releases only its own', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fta-lock-'));
    const dead = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    await new Promise((r) => dead.on('exit', r));
    writeFileSync(join(dir, 'agent.lock'), String(dead.pid));
    const lock = lockDataDir(dir);
    assert.equal(readFileSync(join(dir, 'agent.lock'), 'utf8'), String(process.pid));
    lock.release();
    assert.equal(existsSync(join(dir, 'agent.lock')), false);
  });
});
