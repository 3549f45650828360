// Where the pipeline keeps its files under the agent's data directory. Component names come from config keys,
// so anything outside [A-Za-z0-9_.-] is replaced: a name can never reach outside its folder.
import { join } from 'node:path';

export function safeName(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_.-]/g, '_');
  return s === '.' || s === '..' ? s.replace(/\./g, '_') : s;
}

/** `<dataDir>/queues/<sink>/`: the sink's DiskQueue segments and cursor. */
export function queueDir(dataDir: string, sink: string): string {
  return join(dataDir, 'queues', safeName(sink));
}

/** `<dataDir>/dead-letter/<sink>.ndjson`: records the sink rejected, one JSON line each. */
export function deadLetterPath(dataDir: string, sink: string): string {
  return join(dataDir, 'dead-letter', `${safeName(sink)}.ndjson`);
}

/** `<dataDir>/state/<source>.json`: the source's offsets / cursors. */
export function sourceStatePath(dataDir: string, source: string): string {
  return join(dataDir, 'state', `${safeName(source)}.json`);
}
