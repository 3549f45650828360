// The `stdout` sink: NDJSON or readable text on standard output.
import type { Writable } from 'node:stream';
import type { TelemetryRecord } from '../../model';
import type { Sink, SinkDefinition } from '../types';
import type { SendResult } from '../../model/send-result';
import { encodeLines } from './encode';
import { stdoutSinkSchema, type StdoutSinkConfig } from './schema';

export class StdoutSink implements Sink {
  constructor(
    private readonly cfg: Pick<StdoutSinkConfig, 'format'>,
    private readonly out: Writable = process.stdout,
  ) {}

  accepts(): boolean {
    return true;
  }

  /** Resolves once the stream has written the lines, so a slow reader slows the pipeline instead of growing memory. */
  async send(records: TelemetryRecord[]): Promise<SendResult> {
    const text = encodeLines(records, this.cfg.format);
    try {
      await new Promise<void>((resolve, reject) => this.out.write(text, (err) => (err ? reject(err) : resolve())));
      return { kind: 'ok' };
    } catch (err) {
      return { kind: 'retry', reason: `cannot write to standard output: ${(err as Error).message}` };
    }
  }
}

export const stdoutSink: SinkDefinition<typeof stdoutSinkSchema> = {
  type: 'stdout',
  description: 'Records on standard output, as NDJSON or readable text.',
  schema: stdoutSinkSchema,
  create: (cfg) => new StdoutSink(cfg),
};
