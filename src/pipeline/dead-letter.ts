// Records a sink will never take (rejected, too large, or retries gave up) go to an NDJSON file rather than
// vanish: `<dataDir>/dead-letter/<sink>.ndjson`, one `{at, sink, reason, record}` per line, so an operator can
// read why and replay them. A record is acknowledged only after its line was written.
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { TelemetryRecord } from '../model';

export class DeadLetterFile {
  private chain: Promise<void> = Promise.resolve();
  private ready?: Promise<unknown>;

  constructor(readonly path: string, private readonly sink: string, private readonly now: () => number = Date.now) {}

  /** Appends one line per record; `reasons` is one reason for all, or one per record. Rejects on I/O error. */
  write(records: TelemetryRecord[], reasons: string | string[]): Promise<void> {
    const at = new Date(this.now()).toISOString();
    const text = records
      .map((record, i) => JSON.stringify({ at, sink: this.sink, reason: typeof reasons === 'string' ? reasons : reasons[i], record }) + '\n')
      .join('');
    // Serialized because two concurrent deliveries must not interleave partial lines.
    const next = this.chain.then(async () => {
      this.ready ??= mkdir(dirname(this.path), { recursive: true }).catch((err: unknown) => {
        this.ready = undefined; // try again next time: the operator may fix the directory
        throw err;
      });
      await this.ready;
      await appendFile(this.path, text);
    });
    this.chain = next.catch(() => undefined);
    return next;
  }
}
