// Options of the `influxdb` sink: InfluxDB 1.x `/write` (database, retention policy, basic auth) or the 2.x
// `/api/v2/write` (org, bucket, token), plus how samples map to measurements and fields.
import { z } from 'zod';
import { sinkCommonShape } from '../../pipeline/sink-options';
import { serverUrl, tlsOptions } from '../../net/tls-auth';

export const influxDbSchema = z
  .strictObject({
    type: z.literal('influxdb').describe('InfluxDB line protocol to InfluxDB 1.x/2.x, or anything that speaks it (VictoriaMetrics, M3).'),
    url: serverUrl()
      .describe('Base URL; the sink appends /write (api v1) or /api/v2/write (api v2). A path prefix is kept, e.g. VictoriaMetrics cluster http://vminsert:8480/insert/0/influx.')
      .meta({ examples: ['http://127.0.0.1:8086', 'http://127.0.0.1:8428', 'http://vminsert:8480/insert/0/influx'] }),
    api: z
      .enum(['v1', 'v2'])
      .default('v1')
      .describe('v1: POST /write?db=&rp= (InfluxDB 1.x, VictoriaMetrics). v2: POST /api/v2/write?org=&bucket= (InfluxDB 2.x, 1.8+, VictoriaMetrics).'),
    database: z.string().min(1).optional().describe('api v1: target database (`db`). Required with api v1.').meta({ examples: ['flink'] }),
    retention_policy: z.string().min(1).optional().describe('api v1: retention policy (`rp`); the database default when absent.').meta({ examples: ['autogen'] }),
    username: z.string().optional().describe('api v1: user, sent with password as HTTP basic auth.').meta({ examples: ['telegraf'] }),
    password: z.string().optional().describe('api v1: password; use ${file:/path} or ${ENV} rather than a literal.').meta({ examples: ['${INFLUX_PASSWORD}'] }),
    org: z.string().min(1).optional().describe('api v2: organization name (ignored by 1.8 and VictoriaMetrics).').meta({ examples: ['ops'] }),
    bucket: z.string().min(1).optional().describe('api v2: bucket (on 1.8+: "database/retention_policy"). Required with api v2.').meta({ examples: ['flink'] }),
    token: z.string().optional().describe('api v2: API token, sent as `Authorization: Token <token>` (on 1.8+: "user:password").').meta({ examples: ['${INFLUX_TOKEN}'] }),
    precision: z
      .enum(['ns', 'us', 'ms', 's'])
      .default('ms')
      .describe('Timestamp precision written. Samples carry milliseconds, so ms loses nothing; s truncates.'),
    measurement_per_metric: z
      .boolean()
      .default(true)
      .describe('true: measurement = metric name, one field named by `field`. false: measurement = `measurement`, field = metric name.'),
    measurement: z.string().min(1).default('flink').describe('Measurement used for every sample when measurement_per_metric is false.'),
    field: z.string().min(1).default('value').describe('Field key used when measurement_per_metric is true.'),
    gzip: z.boolean().default(true).describe('Compress request bodies with gzip (Content-Encoding: gzip). Line protocol shrinks ~10×.'),
    create_database: z
      .boolean()
      .default(false)
      .describe('api v1: create the database (CREATE DATABASE, needs admin rights) at start and whenever the server says it is missing.'),
    tls: tlsOptions.optional().describe('TLS settings for an https:// url.'),
    ...sinkCommonShape,
  })
  .superRefine((c, ctx) => {
    const need = (ok: boolean, path: string, message: string) => ok || ctx.addIssue({ code: 'custom', path: [path], message });
    if (c.api === 'v1') {
      need(c.database !== undefined, 'database', 'api v1 needs database: the name of the InfluxDB database to write to');
      for (const f of ['org', 'bucket', 'token'] as const) need(c[f] === undefined, f, `${f} belongs to api v2; set api: v2 or remove it`);
    } else {
      need(c.bucket !== undefined, 'bucket', 'api v2 needs bucket (on InfluxDB 1.8+: "database/retention_policy")');
      for (const f of ['database', 'retention_policy', 'username', 'password'] as const) need(c[f] === undefined, f, `${f} belongs to api v1; set api: v1 or remove it`);
      need(!c.create_database, 'create_database', 'create_database works with api v1 only; create the bucket in InfluxDB 2.x');
    }
    need(c.password === undefined || c.username !== undefined, 'password', 'password without username; set both');
  });

export type InfluxDbConfig = z.output<typeof influxDbSchema>;
