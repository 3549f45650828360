import type { SourceDefinition } from '../types';
import { journaldSchema } from './schema';

export const journaldSource: SourceDefinition<typeof journaldSchema> = {
  type: 'journald',
  description: 'Follows the systemd journal (journalctl), re-joins Flink stack traces split over entries, commits the cursor after delivery.',
  schema: journaldSchema,
  // The implementation loads only when a source of this type is configured (idle RSS of agents without it).
  create: (config, ctx) => {
    const { JournaldSource } = require('./source') as typeof import('./source');
    return new JournaldSource(config, ctx);
  },
};

export { journaldSchema, type JournaldConfig } from './schema';
