// The `postgres` sink: samples into series + samples, logs and events into logs, day-partitioned tables in a
// schema the sink creates and migrates itself; every insert idempotent; retention by dropping partitions.
import type { SinkDefinition } from '../types';
import { postgresSchema } from './schema';

export const postgresSink: SinkDefinition<typeof postgresSchema> = {
  type: 'postgres',
  description: 'PostgreSQL: samples and logs in day-partitioned tables the sink creates and migrates; idempotent inserts; retention by dropping partitions.',
  schema: postgresSchema,
  // The client library loads only when a sink of this type is configured: an agent without it keeps its RSS.
  create: (cfg, ctx) => {
    const { PostgresSink } = require('./sink') as typeof import('./sink');
    return new PostgresSink(cfg, ctx);
  },
};
