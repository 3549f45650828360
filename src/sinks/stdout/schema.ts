// Options of the `stdout` sink: records on the agent's standard output, for a first look or a container log.
import { z } from 'zod';
import { sinkCommonShape } from '../../pipeline/sink-options';

export const stdoutSinkSchema = z.strictObject({
  type: z.literal('stdout').describe('Prints every record on standard output, one line each.'),
  ...sinkCommonShape,
  format: z
    .enum(['json', 'text'])
    .default('json')
    .describe('json: one JSON object per line (NDJSON). text: one readable line per record (time, level or value, name, message).'),
});

export type StdoutSinkConfig = z.output<typeof stdoutSinkSchema>;
