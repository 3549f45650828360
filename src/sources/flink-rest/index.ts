// The `flink_rest` source as the registry knows it.
import type { SourceDefinition } from '../types';
import { flinkRestSchema } from './schema';
import { FlinkRestSource } from './source';

export const flinkRestSource: SourceDefinition<typeof flinkRestSchema> = {
  type: 'flink_rest',
  description: 'Polls the Flink JobManager REST API: cluster, job, checkpoint and vertex figures, job exceptions and state changes.',
  schema: flinkRestSchema,
  create: (config, ctx) => new FlinkRestSource(config, ctx),
};

export { flinkRestSchema, type FlinkRestConfig } from './schema';
