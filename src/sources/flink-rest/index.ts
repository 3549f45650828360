// The `flink_rest` source as the registry knows it.
import type { SourceDefinition } from '../types';
import { flinkRestSchema } from './schema';

export const flinkRestSource: SourceDefinition<typeof flinkRestSchema> = {
  type: 'flink_rest',
  description: 'Polls the Flink JobManager REST API: cluster, job, checkpoint and vertex figures, job exceptions and state changes.',
  schema: flinkRestSchema,
  // The implementation loads only when a source of this type is configured (idle RSS of agents without it).
  create: (config, ctx) => {
    const { FlinkRestSource } = require('./source') as typeof import('./source');
    return new FlinkRestSource(config, ctx);
  },
};

export { flinkRestSchema, type FlinkRestConfig } from './schema';
