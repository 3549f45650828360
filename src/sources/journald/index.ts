import type { SourceDefinition } from '../types';
import { journaldSchema } from './schema';
import { JournaldSource } from './source';

export const journaldSource: SourceDefinition<typeof journaldSchema> = {
  type: 'journald',
  description: 'Follows the systemd journal (journalctl), re-joins Flink stack traces split over entries, commits the cursor after delivery.',
  schema: journaldSchema,
  create: (config, ctx) => new JournaldSource(config, ctx),
};

export { journaldSchema, type JournaldConfig } from './schema';
