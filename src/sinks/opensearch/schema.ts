// Options of the `opensearch` sink. The schema is the reference doc and the JSON Schema: every field says what
// it does; defaults live here, not in the sink.
import { z } from 'zod';
import { sinkCommonShape } from '../../pipeline/sink-options';
import { authOptions, serverUrl, tlsOptions } from '../../net/tls-auth';

const indexPrefix = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, ".", "_" and "-" only, not starting with "-", "_" or "." (OpenSearch index naming rules)');

export const openSearchSchema = z.strictObject({
  type: z.literal('opensearch').describe('Sends logs and events (and optionally samples) to OpenSearch with `_bulk`.'),
  ...sinkCommonShape,
  url: serverUrl()
    // The client library appends the url's query string to every request (`/_bulk?x=1&filter_path=…`, see its
    // Connection.buildRequestObject), so a parameter meant for one API would reach all of them; a #fragment is never sent.
    .refine((u) => !/[?#]/.test(u), {
      message: 'has a query string or a #fragment in it; remove it: a query string would be sent with every request. Put a path prefix in url (https://proxy.example/opensearch) and credentials in auth',
    })
    .describe('Base URL of the cluster (any node); the sink calls /_bulk, /_index_template, / on it. A path in it is a prefix kept on every request (OpenSearch behind a reverse proxy: https://proxy.example/opensearch → /opensearch/_bulk); a trailing slash does not matter. No query string or #fragment.')
    .meta({ examples: ['http://127.0.0.1:9200', 'https://search.example.com:9200', 'https://proxy.example/opensearch'] }),
  index_prefix: indexPrefix
    .default('flink-logs')
    .describe('Logs and events go to the daily index `<index_prefix>-YYYY.MM.DD` (UTC day of the record time), or to the data stream `<index_prefix>` when data_stream is true.')
    .meta({ examples: ['flink-logs', 'prod-flink-logs'] }),
  metrics_index_prefix: indexPrefix
    .default('flink-metrics')
    .describe('Same as index_prefix, for samples; used only when accept_metrics is true.')
    .meta({ examples: ['flink-metrics'] }),
  accept_metrics: z
    .boolean()
    .default(false)
    .describe('Also store samples (one document per sample). Off by default: a time-series database is the better home for metrics.'),
  data_stream: z
    .boolean()
    .default(false)
    .describe('Write into data streams instead of daily indices. The sink rolls the write index over daily so retention can drop whole days.'),
  number_of_shards: z.number().int().positive().default(1).describe('index.number_of_shards in the index template.'),
  number_of_replicas: z
    .number()
    .int()
    .nonnegative()
    .default(1)
    .describe('index.number_of_replicas in the index template. Use 0 on a single-node cluster (otherwise it stays yellow).'),
  retention_days: z
    .number()
    .int()
    .nonnegative()
    .default(14)
    .describe('Delete indices (or data stream backing indices) holding data older than this many days: by an ISM policy when the ISM plugin is installed, otherwise by the sink itself in its housekeeping. 0 keeps everything.'),
  compression: z.boolean().default(false).describe('gzip the _bulk request bodies (saves network, costs CPU on both ends).'),
  tls: tlsOptions.optional().describe('TLS settings for https:// URLs: CA file, client certificate, verification (on by default).'),
  auth: authOptions.optional().describe('Basic auth (username/password) or API key (`Authorization: ApiKey …`).'),
});

export type OpenSearchConfig = z.output<typeof openSearchSchema>;
