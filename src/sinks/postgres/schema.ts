// Options of the `postgres` sink. The schema is the reference doc and the JSON Schema.
import { z } from 'zod';
import { sinkCommonShape } from '../../pipeline/sink-options';

export const postgresSchema = z.strictObject({
  type: z.literal('postgres').describe('Stores samples and logs in PostgreSQL tables the sink creates, partitioned by day.'),
  ...sinkCommonShape,
  connection_string: z
    .string()
    .optional()
    .describe('libpq-style URL; when set, its parts win over host, port, user and database.')
    .meta({ examples: ['postgres://flink_agent@db.example.com:5432/telemetry'] }),
  host: z.string().default('127.0.0.1').describe('Server host name or address, or a Unix socket directory.').meta({ examples: ['127.0.0.1', 'db.example.com'] }),
  port: z.number().int().min(1).max(65535).default(5432).describe('Server port.'),
  user: z.string().default('postgres').describe('Role to connect as; needs CREATE on the database (first start) and ownership of the schema.').meta({ examples: ['flink_agent'] }),
  password: z
    .string()
    .optional()
    .describe('Password of `user`. Write `${file:/etc/flink-agent/pg-password}` or `${PG_PASSWORD}` rather than a literal.')
    .meta({ examples: ['${file:/etc/flink-telemetry-agent/pg-password}'] }),
  database: z.string().default('postgres').describe('Database to connect to (must exist).').meta({ examples: ['telemetry'] }),
  schema: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a lower-case SQL identifier: letters, digits and "_", at most 63 characters')
    .default('flink_telemetry')
    .describe('Schema the sink creates and migrates (tables series, samples, logs, schema_migrations).'),
  pool_size: z.number().int().positive().default(4).describe('Connections kept open; at least request.concurrency + 1 (housekeeping).'),
  sslmode: z
    .enum(['disable', 'require', 'verify-ca', 'verify-full'])
    .default('disable')
    .describe('disable: plain TCP. require: TLS without checking the certificate. verify-ca: TLS, certificate signed by ca_file. verify-full: also the host name.'),
  ca_file: z.string().optional().describe('PEM file with the CA that signed the server certificate (verify-ca, verify-full).').meta({ examples: ['/etc/ssl/certs/db-ca.pem'] }),
  cert_file: z.string().optional().describe('PEM client certificate, for servers that authenticate clients by certificate.'),
  key_file: z.string().optional().describe('PEM private key of cert_file.'),
  partitions_ahead: z.number().int().nonnegative().default(2).describe('Daily partitions created ahead of today (older days are created when a batch needs them).'),
  retention_days: z
    .number()
    .int()
    .nonnegative()
    .default(14)
    .describe('Drop daily partitions of samples and logs older than this many days (housekeeping). 0 keeps everything.'),
});

export type PostgresConfig = z.output<typeof postgresSchema>;
