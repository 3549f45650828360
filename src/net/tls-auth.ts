// TLS and authentication options shared by the HTTP-based sinks, with one loader that turns them into the
// pieces `undici`/`https` and client libraries take.
import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * An http(s) URL of a server the agent sends to. Credentials in it are refused: the URL is shown in log lines,
 * error reasons and /status, and a password there would be shown with it; the auth options keep it out of sight.
 */
export function serverUrl(): z.ZodURL {
  return z.url({ protocol: /^https?$/ }).refine((u) => !URL.canParse(u) || (new URL(u).username === '' && new URL(u).password === ''), {
    message: 'has a user or password in it; put credentials in the auth options (they are kept out of logs and /status) and remove them from the URL',
  });
}

export const tlsOptions = z
  .strictObject({
    ca_file: z.string().optional().describe('PEM file with the CA(s) that signed the server certificate.'),
    cert_file: z.string().optional().describe('PEM client certificate for mutual TLS.'),
    key_file: z.string().optional().describe('PEM private key of the client certificate.'),
    verify: z.boolean().default(true).describe('Verify the server certificate and host name. Turn off only for testing.'),
  })
  .describe('TLS settings, used when the URL is https://.');

export const authOptions = z
  .strictObject({
    username: z.string().optional().describe('Basic auth user.'),
    password: z.string().optional().describe('Basic auth password; use ${file:/path} or ${ENV} rather than a literal.'),
    bearer_token: z.string().optional().describe('Sent as `Authorization: Bearer <token>`.'),
    api_key: z.string().optional().describe('Sent as `Authorization: ApiKey <key>` (OpenSearch/Elasticsearch API keys).'),
  })
  .describe('Credentials; at most one of basic auth, bearer_token and api_key.');

export type TlsOptions = z.output<typeof tlsOptions>;
export type AuthOptions = z.output<typeof authOptions>;

export interface LoadedTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  rejectUnauthorized: boolean;
}

/** Reads the PEM files once at build time; a missing file is a clear Error naming the field and the path. */
export function loadTls(tls: TlsOptions | undefined, where: string): LoadedTls {
  const read = (field: string, path: string | undefined): Buffer | undefined => {
    if (!path) return undefined;
    try {
      return readFileSync(path);
    } catch (err) {
      throw new Error(`${where}.tls.${field}: cannot read "${path}" (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  };
  const out: LoadedTls = { rejectUnauthorized: tls?.verify ?? true };
  const ca = read('ca_file', tls?.ca_file);
  const cert = read('cert_file', tls?.cert_file);
  const key = read('key_file', tls?.key_file);
  if (ca) out.ca = ca;
  if (cert) out.cert = cert;
  if (key) out.key = key;
  return out;
}

/** The Authorization header for the configured credentials, or undefined. */
export function authorizationHeader(auth: AuthOptions | undefined): string | undefined {
  if (!auth) return undefined;
  if (auth.bearer_token) return `Bearer ${auth.bearer_token}`;
  if (auth.api_key) return `ApiKey ${auth.api_key}`;
  if (auth.username !== undefined) return 'Basic ' + Buffer.from(`${auth.username}:${auth.password ?? ''}`).toString('base64');
  return undefined;
}
