// Options of the `file` sink: NDJSON on local disk, rotated by size. The embedded default sink, and the way to
// look at exactly what the agent would ship.
import { z } from 'zod';
import { size } from '../../config/units';
import { sinkCommonShape } from '../../pipeline/sink-options';

export const fileSinkSchema = z.strictObject({
  type: z.literal('file').describe('Writes every record as one JSON object per line (NDJSON) to a local file, rotated by size.'),
  ...sinkCommonShape,
  path: z
    .string()
    .min(1)
    .optional()
    .describe('File to write. Default: `<agent.data_dir>/out/<sink name>.ndjson`. Rotated files get `.1` (newest) … `.N` suffixes.')
    .meta({ examples: ['/var/log/flink-telemetry/records.ndjson'] }),
  max_file_size: size()
    .prefault('64MiB')
    .describe('Rotate once the file would grow past this size.')
    .meta({ examples: ['64MiB', '1GiB'] }),
  max_files: z
    .number()
    .int()
    .min(1)
    .default(5)
    .describe('Files kept, the current one included; the oldest rotated file is deleted. 1 = start the file afresh at each rotation.'),
});

export type FileSinkConfig = z.output<typeof fileSinkSchema>;
