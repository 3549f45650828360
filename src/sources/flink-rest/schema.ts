// Options of the `flink_rest` source: what the JobManager's REST API knows that the reporters do not (job state,
// checkpoints, exceptions, back-pressure), polled with care for the JobManager's own metric fetch interval.
import { z } from 'zod';
import { duration } from '../../config/units';
import { authOptions, tlsOptions } from '../../net/tls-auth';
import { sourceCommonShape } from '../common-schema';

export const flinkRestSchema = z
  .strictObject({
    type: z.literal('flink_rest').describe('Polls the Flink JobManager REST API.'),
    ...sourceCommonShape,
    url: z
      .url()
      .default('http://localhost:8081')
      .describe('Base URL of the JobManager REST API (rest.address:rest.port). A path prefix (behind a proxy) is kept.')
      .meta({ examples: ['http://localhost:8081', 'https://flink-jm.example.com:8443/flink'] }),
    timeout: duration()
      .prefault('5s')
      .describe('Per-request timeout. A round whose /overview call times out counts as "JobManager unreachable".'),
    metrics_min_interval: duration()
      .prefault('10s')
      .describe(
        'Never ask Flink for job and per-vertex metrics more often than this. The JobManager refreshes its metric ' +
          'store every metrics.fetcher.update-interval (10 s by default), so faster calls only return the same ' +
          'numbers; in between, the cached values are emitted again. Set it to that Flink option.',
      ),
    max_concurrency: z
      .int()
      .min(1)
      .max(32)
      .default(4)
      .describe('Most REST requests in flight at once, so a job with many vertices cannot flood the JobManager.'),
    emit_cluster_metrics: z
      .enum(['auto', 'always', 'never'])
      .default('auto')
      .describe(
        'Who emits cluster-, job- and vertex-level figures and events when every node runs an agent. auto: only the ' +
          'agent on the node that hosts the JobManager (jobmanager.rpc.address from /jobmanager/config, or the URL ' +
          'host when that is a loopback name, matched against this node\'s addresses and host name). always/never ' +
          'override the rule (use one of them for HA setups with standby JobManagers).',
      ),
    vertex_metrics: z
      .boolean()
      .default(true)
      .describe('Per-vertex figures of RUNNING jobs (busy/idle/back-pressured time, records, watermark lag): one call per vertex per metrics_min_interval.'),
    events: z
      .boolean()
      .default(true)
      .describe('Emit job exceptions (/jobs/:id/exceptions) and job state changes as event log records.'),
    max_exceptions: z
      .int()
      .min(1)
      .max(1000)
      .default(16)
      .describe('maxExceptions asked of /jobs/:id/exceptions per round (Flink keeps web.exception-history-size, default 16).'),
    tls: tlsOptions.optional().describe('TLS settings for an https:// URL (rest.ssl.enabled).'),
    auth: authOptions.optional().describe('Credentials when a proxy in front of the REST API asks for them (Flink itself has none).'),
  })
  .describe('Flink JobManager REST API: cluster, job, checkpoint and vertex figures plus job exceptions and state changes.');

export type FlinkRestConfig = z.output<typeof flinkRestSchema>;
