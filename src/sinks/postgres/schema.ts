// Options of the `postgres` sink. The schema is the reference doc and the JSON Schema.
import { parse as parseConnectionString } from 'pg-connection-string';
import { z } from 'zod';
import { sinkCommonShape } from '../../pipeline/sink-options';

const postgresOptions = z.strictObject({
  type: z.literal('postgres').describe('Stores samples and logs in PostgreSQL tables the sink creates, partitioned by day.'),
  ...sinkCommonShape,
  connection_string: z
    .string()
    .optional()
    .describe(
      'postgres:// URL (libpq style). The host, port, user, password and database in it win over those fields, which fill in the parts it leaves out; `check` prints the values used.',
    )
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

type PostgresOptions = z.output<typeof postgresOptions>;

/**
 * The options with connection_string resolved into host, port, user, password and database, so that the parsed
 * config (what `check` prints, what the sink names in its log lines) holds the values the connection uses: the
 * connection string's parts where it has them, the fields (or their defaults) where it has not. poolConfig()
 * passes these fields to pg and only the rest of the connection string (sslmode, options, …).
 */
export const postgresSchema = postgresOptions.transform((cfg, ctx) => {
  if (cfg.connection_string === undefined) return cfg;
  const parts = connectionStringParts(cfg.connection_string);
  if (typeof parts === 'string') {
    ctx.addIssue({ code: 'custom', path: ['connection_string'], message: parts });
    return z.NEVER;
  }
  return { ...cfg, ...parts };
});

export type PostgresConfig = z.output<typeof postgresSchema>;

/** The fields a connection string's own parts win over (see postgresSchema); poolConfig() passes pg its other parameters. */
export const SERVER_PARTS = ['host', 'port', 'user', 'password', 'database'] as const;
type ServerParts = Partial<Pick<PostgresOptions, (typeof SERVER_PARTS)[number]>>;

const URL_EXAMPLE = 'postgres://user@host:5432/database';

/**
 * The server and role parts a connection string sets, read by pg's own parser (the one pg uses on connect), or
 * why it is unusable. The messages never quote the string: it may hold a password.
 */
function connectionStringParts(connectionString: string): ServerParts | string {
  // pg would read anything: text that is no URL is taken as a path relative to postgres://base (host "base").
  if (!/^postgres(ql)?:\/\//i.test(connectionString)) {
    return `is not a postgres:// URL; write ${URL_EXAMPLE} (a Unix socket: postgres:///database?host=/var/run/postgresql; libpq key=value strings are not supported)`;
  }
  let parsed: ReturnType<typeof parseConnectionString>;
  try {
    // Without its ssl* parameters: with them the parser reads the sslcert/sslkey/sslrootcert files and warns about
    // sslmode, which is the connection's business (poolConfig), not the config loader's; they set no part used here.
    parsed = parseConnectionString(connectionString.replace(/([?&])ssl[a-z]*=[^&#]*/g, '$1'));
  } catch (err) {
    return `is not a valid URL (${err instanceof Error ? err.message : String(err)}); write ${URL_EXAMPLE}, with characters such as @ : / in the password percent-encoded`;
  }
  const parts: ServerParts = {};
  // The parser gives '' or null for a part the URL leaves out (no user in postgres://host/db); pg would then fall
  // back to $PGUSER, $PGPORT, … and its own defaults, not to these fields.
  if (parsed.host) parts.host = parsed.host;
  if (parsed.user) parts.user = parsed.user;
  if (parsed.password) parts.password = parsed.password;
  if (parsed.database) parts.database = parsed.database;
  if (parsed.port) {
    const port = /^\d{1,5}$/.test(parsed.port) ? Number(parsed.port) : 0;
    if (port < 1 || port > 65535) return `has port "${parsed.port}"; a port is a number from 1 to 65535`;
    parts.port = port;
  }
  return parts;
}
