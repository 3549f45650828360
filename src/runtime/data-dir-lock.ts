// One agent per data directory: two agents sharing disk queues and offsets would deliver twice and corrupt
// each other's segments. The lock is a pid file created exclusively; a lock left by a dead process is taken over.
import { mkdirSync, openSync, closeSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { AgentError } from '../errors';

export interface DataDirLock {
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function lockDataDir(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, 'agent.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return {
        release: () => {
          try {
            if (readFileSync(path, 'utf8').trim() === String(process.pid)) unlinkSync(path);
          } catch {
            // already gone: nothing to release
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) {
        throw new AgentError(
          'AGT_DATA_DIR_LOCKED',
          `data directory ${dataDir} is in use by another agent (pid ${holder}); stop it or give this agent its own agent.data_dir`,
        );
      }
      unlinkSync(path); // stale lock from a process that died (kill -9, power loss)
    }
  }
  throw new AgentError('AGT_DATA_DIR_LOCKED', `could not lock data directory ${dataDir}`);
}
