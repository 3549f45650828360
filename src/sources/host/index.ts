// The `host` source as the registry knows it.
import type { SourceDefinition } from '../types';
import { hostSchema } from './schema';
import { HostSource } from './source';

export const hostSource: SourceDefinition<typeof hostSchema> = {
  type: 'host',
  description: 'Node CPU, memory, load, file systems, disk I/O and network from /proc and statfs, named like node_exporter.',
  schema: hostSchema,
  create: (cfg, ctx) => new HostSource(cfg, ctx),
};
