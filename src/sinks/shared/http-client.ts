// One small HTTP sender for the sinks that speak plain HTTP POST (remote-write, InfluxDB): an undici Agent built
// once with the sink's TLS settings and kept alive across batches, a POST that returns status/headers/body and
// throws only on transport failures (callers pass those to classifyNetworkError), and gzip off the main thread.
// undici's `dispatcher.request` is used rather than `fetch` because it skips the WHATWG Request/Response/stream
// layers — fewer allocations per batch on the hot path.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import { Agent } from 'undici';
import type { SendResult } from '../../model/send-result';
import { loadTls, type TlsOptions } from '../../net/tls-auth';

const gzipAsync = promisify(gzipCb);

/** `flink-telemetry-agent/<version>`, from the nearest package.json above this file (src/ or dist/src/). */
export const USER_AGENT = ((): string => {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      return `${pkg.name ?? 'flink-telemetry-agent'}/${pkg.version ?? '0.0.0'}`;
    }
  }
  return 'flink-telemetry-agent/0.0.0';
})();

/** gzip on libuv's thread pool, so a large body does not stall the event loop. Level 6: zlib's own default. */
export function gzip(body: Buffer | string): Promise<Buffer> {
  return gzipAsync(body);
}

export interface HttpResponse {
  status: number;
  /** Lower-cased header name → value (first value when repeated). */
  headers: Record<string, string>;
  /** The response body as text, cut at `maxBodyChars` (servers' error messages are short; we log them). */
  body: string;
}

export interface HttpClientOptions {
  /** Base URL; requests go to `new URL(path, url)`. Its origin decides the connection pool. */
  url: string;
  tls?: TlsOptions | undefined;
  /** Where the options live in the config (`sinks.vm`), for error messages about unreadable PEM files. */
  where: string;
  /** Headers sent on every request (auth, User-Agent, custom headers); per-request headers override them. */
  headers?: Record<string, string>;
  /**
   * Connections per origin: the sink's request.concurrency, so at most that many requests are on the wire. A
   * body the sink built ahead (Sink.readyAhead) waits here, in undici's queue, for the next free connection.
   */
  connections?: number;
}

const MAX_BODY_CHARS = 4096;

export class HttpClient {
  readonly url: URL;
  private readonly agent: Agent;
  private readonly baseHeaders: Record<string, string>;

  constructor(options: HttpClientOptions) {
    this.url = new URL(options.url);
    const tls = this.url.protocol === 'https:' ? loadTls(options.tls, options.where) : undefined;
    this.agent = new Agent({
      connections: options.connections ?? 4,
      // A keep-alive shorter than typical server idle timeouts (Go's 90 s, nginx 75 s) so we close first and
      // never write into a socket the server is closing.
      keepAliveTimeout: 30_000,
      ...(tls ? { connect: tls } : {}),
    });
    this.baseHeaders = { ...options.headers };
  }

  /** `path` may carry a query string; it is resolved against the base URL (keeping the base path's prefix). */
  resolve(pathAndQuery: string): URL {
    const base = this.url.href.endsWith('/') ? this.url.href : this.url.href + '/';
    return new URL(pathAndQuery.replace(/^\//, ''), base);
  }

  /**
   * POST `body` to `target`. Resolves for every HTTP status; rejects only when no response arrived. The timeout
   * arrives in `signal` (the SinkRunner combines request.timeout with shutdown), so there is no second timer here.
   */
  async post(target: URL, body: Buffer | string, headers: Record<string, string>, signal?: AbortSignal): Promise<HttpResponse> {
    const res = await this.agent.request({
      origin: target.origin,
      path: target.pathname + target.search,
      method: 'POST',
      headers: { ...this.baseHeaders, ...headers },
      body,
      ...(signal ? { signal } : {}),
    });
    const text = await res.body.text();
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v[0]! : v;
    return { status: res.statusCode, headers: out, body: text.length > MAX_BODY_CHARS ? text.slice(0, MAX_BODY_CHARS) + '…' : text.trim() };
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

// ---- SendResult helpers both HTTP sinks need ----

/** Prefixes the reason of a failure (e.g. with the target URL) so logs and dead letters say who refused. */
export function prefixReason(result: SendResult, prefix: string): SendResult {
  return result.kind === 'ok' || result.kind === 'partial' ? result : { ...result, reason: `${prefix}: ${result.reason}` };
}

/**
 * Combines the server's answer for the records that were sent with the records the encoder refused before
 * sending (`rejected`, indices into a batch of `batchSize`). The refused ones are always dead-lettered with their
 * own reason; the rest follow the server's answer. A 413 stays `too_large`: the runner splits the batch and the
 * refused records come back as `partial` from the smaller halves.
 */
export function withEncoderRejects(result: SendResult, rejected: Array<{ index: number; reason: string }>, batchSize: number): SendResult {
  if (rejected.length === 0 || result.kind === 'too_large') return result;
  const refused = new Set(rejected.map((r) => r.index));
  const others: number[] = [];
  for (let i = 0; i < batchSize; i++) if (!refused.has(i)) others.push(i);
  switch (result.kind) {
    case 'ok':
      return { kind: 'partial', retry: [], reject: rejected };
    case 'retry':
      return { kind: 'partial', retry: others, reject: rejected, ...(result.afterMs !== undefined ? { retryAfterMs: result.afterMs } : {}) };
    case 'reject':
      return { kind: 'partial', retry: [], reject: [...rejected, ...others.map((index) => ({ index, reason: result.reason }))] };
    case 'partial': {
      // Server indices refer to the sent subset, which the caller already mapped back to batch indices.
      return { ...result, reject: [...rejected, ...result.reject] };
    }
    default:
      return result satisfies never;
  }
}
