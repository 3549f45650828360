// The `influxdb` sink: samples → line protocol → InfluxDB 1.x /write or 2.x /api/v2/write (or VictoriaMetrics).
import type { SinkDefinition } from '../types';
import { influxDbSchema } from './schema';

export const influxDbSink: SinkDefinition<typeof influxDbSchema> = {
  type: 'influxdb',
  description: 'InfluxDB line protocol to InfluxDB 1.x (/write) or 2.x (/api/v2/write), or VictoriaMetrics; samples only.',
  schema: influxDbSchema,
  // The client library loads only when a sink of this type is configured: an agent without it keeps its RSS.
  create: (config, ctx) => {
    const { InfluxDbSink } = require('./sink') as typeof import('./sink');
    return new InfluxDbSink(config, ctx);
  },
};
