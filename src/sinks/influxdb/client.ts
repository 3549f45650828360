// One InfluxDB write request and what its answer means. Never sleeps or retries: the SinkRunner owns time.
import { gzipSync } from 'node:zlib';
import type { SendResult } from '../../model/send-result';
import { classifyHttpStatus } from '../shared/http';
import { HttpClient, prefixReason, USER_AGENT, type HttpResponse } from '../shared/http-client';
import type { InfluxDbConfig } from './schema';

export type InfluxVerdict =
  | { kind: 'done'; result: SendResult }
  /** 400 "partial write": the server stored the good points; the caller works out which were dropped. */
  | { kind: 'partial_write'; message: string }
  /** 404 "database not found" (api v1): create it when allowed, else tell the operator. */
  | { kind: 'database_not_found'; message: string };

/** The server's own words: 1.x sends {"error": …}, 2.x {"code": …, "message": …}, VictoriaMetrics plain text. */
export function errorMessage(body: string): string {
  if (body.startsWith('{')) {
    try {
      const parsed = JSON.parse(body) as { error?: unknown; message?: unknown };
      if (typeof parsed.error === 'string') return parsed.error;
      if (typeof parsed.message === 'string') return parsed.message;
    } catch {
      // not JSON after all: fall through to the raw text
    }
  }
  return body;
}

/**
 * Status and body → verdict. Beyond the shared HTTP rules (2xx ok, 413 split, 429/5xx retry, other 4xx reject):
 * - 400 "partial write": the other points WERE written, so resending the batch is wrong; see partial-write.ts.
 * - 404 "database not found" / "bucket not found" and 500 "retention policy not found" are configuration the
 *   operator can fix without touching the data. We RETRY them with a reason that says what to do, so the buffer
 *   holds the data (and sources slow down) until it is fixed, instead of dead-lettering every batch meanwhile.
 *   (1.x answers a missing retention policy with a 500, which plain 5xx rules would retry without a hint.)
 */
export function classifyInflux(status: number, retryAfter: string | undefined, body: string, target: string): InfluxVerdict {
  if (status >= 200 && status < 300) return { kind: 'done', result: { kind: 'ok' } };
  const message = errorMessage(body);
  if (status === 404 && /database not found/i.test(message)) return { kind: 'database_not_found', message };
  if (status === 404 && /bucket.*not found/i.test(message)) {
    return { kind: 'done', result: { kind: 'retry', reason: `${target}: ${message}; create the bucket or fix bucket:` } };
  }
  if (status === 500 && /retention policy not found/i.test(message)) {
    return { kind: 'done', result: { kind: 'retry', reason: `${target}: ${message}; create it or fix retention_policy:` } };
  }
  if (status === 400 && /partial write/i.test(message)) return { kind: 'partial_write', message };
  return { kind: 'done', result: prefixReason(classifyHttpStatus(status, retryAfter, message), target) };
}

/**
 * zlib level 1 rather than zlib's default 6: line protocol repeats the same series prefixes line after line,
 * so level 1 still shrinks a 2,000-line Flink batch ~33× (level 6: ~40×) for half the CPU (430 vs 900 ns per
 * line), and that CPU is as large as all the encoding.
 */
const GZIP_LEVEL = 1;

/**
 * The gzipped request body, as the sink sends it with `gzip: true`. Synchronous on purpose, unlike the shared
 * `gzip` helper: encoding the same batch is itself synchronous and takes about as long (≈0.25–0.4 µs a line
 * against ≈0.25–0.35 µs to compress it), and the hop to libuv's pool cost more than it spared the loop: 0.9 vs
 * 0.6 ms of wall time and 0.8 vs 0.6 ms of CPU per 2,000-line batch, and 1.8 ms wall when the two cores are busy
 * with the server.
 */
export function gzipLines(lines: Buffer | string): Buffer {
  return gzipSync(lines, { level: GZIP_LEVEL });
}

export class InfluxClient {
  private readonly http: HttpClient;
  readonly writeUrl: URL;
  /** Where the sink writes, for reasons and logs: scheme, host, path and database/bucket — never credentials. */
  readonly target: string;

  constructor(private readonly config: InfluxDbConfig, where: string) {
    const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8', 'user-agent': USER_AGENT };
    if (config.api === 'v1' && config.username !== undefined) {
      headers.authorization = 'Basic ' + Buffer.from(`${config.username}:${config.password ?? ''}`).toString('base64');
    }
    if (config.api === 'v2' && config.token !== undefined) headers.authorization = `Token ${config.token}`;
    this.http = new HttpClient({ url: config.url, tls: config.tls, where, headers, connections: config.request.concurrency });
    const q = new URLSearchParams();
    if (config.api === 'v1') {
      q.set('db', config.database!);
      if (config.retention_policy) q.set('rp', config.retention_policy);
      // 1.x spells microseconds `u`; 2.x `us`. 1.x silently takes an unknown precision as ns, so never guess.
      q.set('precision', config.precision === 'us' ? 'u' : config.precision);
      this.writeUrl = this.http.resolve(`write?${q}`);
    } else {
      if (config.org) q.set('org', config.org);
      q.set('bucket', config.bucket!);
      q.set('precision', config.precision);
      this.writeUrl = this.http.resolve(`api/v2/write?${q}`);
    }
    this.target = `${this.writeUrl.origin}${this.writeUrl.pathname} (${config.api === 'v1' ? `database "${config.database}"` : `bucket "${config.bucket}"`})`;
  }

  /** POSTs line protocol (gzipped when configured). Rejects only when no response arrived. */
  async write(lines: Buffer | string, signal: AbortSignal): Promise<HttpResponse> {
    if (!this.config.gzip) return this.http.post(this.writeUrl, lines, {}, signal);
    return this.http.post(this.writeUrl, gzipLines(lines), { 'content-encoding': 'gzip' }, signal);
  }

  /** `CREATE DATABASE` (idempotent in InfluxDB 1.x). Throws an Error naming the server and its answer. */
  async createDatabase(signal: AbortSignal): Promise<void> {
    const name = this.config.database!;
    const statement = `CREATE DATABASE "${name.replace(/[\\"]/g, '\\$&')}"`;
    const res = await this.http.post(this.http.resolve('query'), new URLSearchParams({ q: statement }).toString(), { 'content-type': 'application/x-www-form-urlencoded' }, signal);
    // The query endpoint answers 200 even for a failed statement, with the error inside `results`.
    const statementError = /"error"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(res.body)?.[1];
    if (res.status !== 200 || statementError) {
      throw new Error(`cannot create database "${name}" on ${this.http.url.origin}: HTTP ${res.status} ${statementError ?? errorMessage(res.body)}`);
    }
  }

  close(): Promise<void> {
    return this.http.close();
  }
}
