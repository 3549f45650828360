// The `flink_prometheus` source as the registry knows it.
import type { SourceDefinition } from '../types';
import { flinkPrometheusSchema } from './schema';
import { FlinkPrometheusSource } from './source';

export const flinkPrometheusSource: SourceDefinition<typeof flinkPrometheusSchema> = {
  type: 'flink_prometheus',
  description: "Scrapes Flink's Prometheus reporters (JobManager and TaskManagers) found on a port range, by discovery or by URL.",
  schema: flinkPrometheusSchema,
  create: (cfg, ctx) => new FlinkPrometheusSource(cfg, ctx),
};
