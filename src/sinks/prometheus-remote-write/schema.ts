// Options of the `prometheus_remote_write` sink: where to POST (the receiver picks the path, so one `url` covers
// Prometheus, VictoriaMetrics, M3 and Mimir), extra headers, credentials and TLS.
import { z } from 'zod';
import { sinkCommonShape } from '../../pipeline/sink-options';
import { authOptions, serverUrl, tlsOptions } from '../../net/tls-auth';

/** Headers the remote-write spec reserves for the sender; a user may not override them. */
export const RESERVED_HEADERS = ['content-encoding', 'content-type', 'x-prometheus-remote-write-version', 'user-agent', 'content-length', 'authorization'];

export const remoteWriteSchema = z.strictObject({
  type: z.literal('prometheus_remote_write').describe('Prometheus remote-write 1.0 (protobuf + snappy) to Prometheus, VictoriaMetrics, M3, Mimir.'),
  url: serverUrl()
    .describe(
      'Full remote-write endpoint. Prometheus (--web.enable-remote-write-receiver) and VictoriaMetrics: /api/v1/write; M3 coordinator: /api/v1/prom/remote/write; Mimir: /api/v1/push.',
    )
    .meta({ examples: ['http://127.0.0.1:8428/api/v1/write', 'http://m3coordinator:7201/api/v1/prom/remote/write', 'https://mimir.example.com/api/v1/push'] }),
  headers: z
    .record(z.string(), z.string())
    .default({})
    .refine((h) => Object.keys(h).every((k) => !RESERVED_HEADERS.includes(k.toLowerCase())), {
      message: `headers may not set ${RESERVED_HEADERS.join(', ')}: the protocol fixes them (use auth: for Authorization)`,
    })
    .describe('Extra HTTP headers on every request, e.g. M3-Metrics-Type / M3-Storage-Policy for M3, X-Scope-OrgID for a Mimir tenant.')
    .meta({ examples: [{ 'X-Scope-OrgID': 'flink-prod' }, { 'M3-Metrics-Type': 'aggregated', 'M3-Storage-Policy': '1m:48h' }] }),
  auth: authOptions
    .refine((a) => a.api_key === undefined, { message: 'api_key is not used by remote-write; use bearer_token or username/password' })
    .refine((a) => !(a.bearer_token !== undefined && a.username !== undefined), { message: 'set either bearer_token or username/password, not both' })
    .optional()
    .describe('Credentials: bearer_token, or username + password (basic auth).'),
  tls: tlsOptions.optional().describe('TLS settings for an https:// url.'),
  ...sinkCommonShape,
});

export type RemoteWriteConfig = z.output<typeof remoteWriteSchema>;
