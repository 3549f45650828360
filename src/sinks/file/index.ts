// The `file` sink: each record as one JSON line in a local, size-rotated file. Local disk either takes the
// write or reports an error worth retrying (full disk, permissions an operator can fix), so it never rejects.
import { join } from 'node:path';
import type { ComponentContext } from '../../component';
import type { TelemetryRecord } from '../../model';
import type { SendResult } from '../../model/send-result';
import { safeName } from '../../pipeline/paths';
import { recordJson } from '../../pipeline/record-json';
import type { Sink, SinkDefinition } from '../types';
import { RotatingFile } from './rotating-file';
import { fileSinkSchema, type FileSinkConfig } from './schema';

export class FileSink implements Sink {
  private readonly file: RotatingFile;

  constructor(cfg: FileSinkConfig, ctx: ComponentContext) {
    const path = cfg.path ?? join(ctx.agent.dataDir, 'out', `${safeName(ctx.name)}.ndjson`);
    this.file = new RotatingFile(path, cfg.max_file_size, cfg.max_files);
  }

  get path(): string {
    return this.file.path;
  }

  accepts(): boolean {
    return true;
  }

  async send(records: TelemetryRecord[]): Promise<SendResult> {
    let text = '';
    for (const r of records) text += recordJson(r) + '\n';
    try {
      await this.file.append(text);
      return { kind: 'ok' };
    } catch (err) {
      return { kind: 'retry', reason: `cannot write ${this.file.path}: ${(err as Error).message}` };
    }
  }

  close(): Promise<void> {
    return this.file.close();
  }
}

export const fileSink: SinkDefinition<typeof fileSinkSchema> = {
  type: 'file',
  description: 'NDJSON on local disk, rotated by size (the embedded default sink).',
  schema: fileSinkSchema,
  create: (cfg, ctx) => new FileSink(cfg, ctx),
};
