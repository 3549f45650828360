// The `host` source as the registry knows it.
import type { SourceDefinition } from '../types';
import { hostSchema } from './schema';

export const hostSource: SourceDefinition<typeof hostSchema> = {
  type: 'host',
  description: 'Node CPU, memory, load, file systems, disk I/O and network from /proc and statfs, named like node_exporter.',
  schema: hostSchema,
  // The implementation loads only when a source of this type is configured (idle RSS of agents without it).
  create: (cfg, ctx) => {
    const { HostSource } = require('./source') as typeof import('./source');
    return new HostSource(cfg, ctx);
  },
};
