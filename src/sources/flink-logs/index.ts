import type { SourceDefinition } from '../types';
import { flinkLogsSchema } from './schema';
import { FlinkLogsSource } from './source';

export const flinkLogsSource: SourceDefinition<typeof flinkLogsSchema> = {
  type: 'flink_logs',
  description: 'Tails Flink log files: log4j2 layout parsed, stack traces joined, rotation followed, offsets committed after delivery.',
  schema: flinkLogsSchema,
  create: (config, ctx) => new FlinkLogsSource(config, ctx),
};

export { flinkLogsSchema, type FlinkLogsConfig } from './schema';
