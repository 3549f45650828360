// The `prometheus_remote_write` sink: samples → one remote-write 1.0 request per batch.
import type { SinkDefinition } from '../types';
import { remoteWriteSchema } from './schema';

export const remoteWriteSink: SinkDefinition<typeof remoteWriteSchema> = {
  type: 'prometheus_remote_write',
  description: 'Prometheus remote-write 1.0 (protobuf + snappy) to Prometheus, VictoriaMetrics, M3 or Mimir; samples only.',
  schema: remoteWriteSchema,
  // The client library loads only when a sink of this type is configured: an agent without it keeps its RSS.
  create: (config, ctx) => {
    const { RemoteWriteSink } = require('./sink') as typeof import('./sink');
    return new RemoteWriteSink(config, ctx);
  },
};
