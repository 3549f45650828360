// The `opensearch` sink: logs and events (and samples when accept_metrics) → `_bulk` create with deterministic
// ids into daily indices or data streams, behind an index template the sink installs itself.
import type { SinkDefinition } from '../types';
import { openSearchSchema } from './schema';

export const openSearchSink: SinkDefinition<typeof openSearchSchema> = {
  type: 'opensearch',
  description: 'OpenSearch: logs and events (optionally samples) via _bulk into daily indices or data streams, with index template and retention.',
  schema: openSearchSchema,
  // The client library loads only when a sink of this type is configured: an agent without it keeps its RSS.
  create: (cfg, ctx) => {
    const { OpenSearchSink } = require('./sink') as typeof import('./sink');
    return new OpenSearchSink(cfg, ctx);
  },
};
