// GET-and-parse for the JobManager REST API: one keep-alive node:http(s) Agent (with the TLS settings), a
// per-request timeout, and a limit on requests in flight so a job with many vertices cannot flood the JobManager.
// Failures become a RestError that says what happened in words an operator can act on.
// node:http rather than undici: these are a few small GETs every poll, and loading the undici package costs the
// idle daemon ~4 MB of RSS (its source alone is 1.2 MB) for no gain at this rate (issue 2's idle footprint).
import http from 'node:http';
import https from 'node:https';
import { errorCode } from '../../net/error-code';
import { authorizationHeader, loadTls, type AuthOptions, type TlsOptions } from '../../net/tls-auth';

export class RestError extends Error {
  override name = 'RestError';
  /** `network`: no answer (refused, timeout, DNS); `http`: a non-2xx answer; `parse`: the body was not JSON. */
  readonly kind: 'network' | 'http' | 'parse';
  /** ECONNREFUSED, TimeoutError, … for network; `HTTP 404` for http. */
  readonly code: string;
  readonly status: number | undefined;
  constructor(kind: RestError['kind'], code: string, message: string, status?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
    this.code = code;
    this.status = status;
  }
}

export interface RestClientOptions {
  url: string;
  timeoutMs: number;
  maxConcurrency: number;
  tls?: TlsOptions | undefined;
  auth?: AuthOptions | undefined;
  /** Where the options live (`sources.flink`), for errors about unreadable PEM files. */
  where: string;
  /** Called once per request sent (the source counts them: the cost it puts on the JobManager). */
  onRequest?: (path: string) => void;
}

export class RestClient {
  readonly base: URL;
  private readonly agent: http.Agent;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  private readonly maxConcurrency: number;
  private readonly onRequest: ((path: string) => void) | undefined;
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(options: RestClientOptions) {
    const href = options.url.endsWith('/') ? options.url : options.url + '/';
    this.base = new URL(href);
    const tls = this.base.protocol === 'https:' ? loadTls(options.tls, options.where) : undefined;
    const agentOptions = { keepAlive: true, maxSockets: options.maxConcurrency, timeout: 30_000 };
    this.agent = tls ? new https.Agent({ ...agentOptions, ...tls }) : new http.Agent(agentOptions);
    const auth = authorizationHeader(options.auth);
    this.headers = { accept: 'application/json', ...(auth ? { authorization: auth } : {}) };
    this.timeoutMs = options.timeoutMs;
    this.maxConcurrency = options.maxConcurrency;
    this.onRequest = options.onRequest;
  }

  /** The base URL without a trailing slash, as the operator wrote it: used in messages. */
  get display(): string {
    return this.base.href.replace(/\/$/, '');
  }

  /** GET `path` (relative to the base, may carry a query) and parse JSON. Rejects with RestError. */
  async get<T>(path: string, signal: AbortSignal): Promise<T> {
    await this.acquire();
    try {
      return await this.request<T>(path, signal);
    } finally {
      this.release();
    }
  }

  close(): Promise<void> {
    this.agent.destroy();
    return Promise.resolve();
  }

  private async request<T>(path: string, signal: AbortSignal): Promise<T> {
    const target = new URL(path.replace(/^\//, ''), this.base);
    let status: number;
    let text: string;
    this.onRequest?.(target.pathname + target.search);
    try {
      ({ status, text } = await this.send(target, AbortSignal.any([signal, AbortSignal.timeout(this.timeoutMs)])));
    } catch (err) {
      const code = errorCode(err) ?? 'UNKNOWN';
      const why = code === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : code;
      throw new RestError('network', code, `GET ${target.pathname}: ${why}`, undefined, { cause: err });
    }
    if (status < 200 || status >= 300) {
      // Flink answers errors as {"errors": ["…"]}; the first line of the first one is the useful part.
      const detail = /"errors"\s*:\s*\[\s*"((?:[^"\\]|\\.)*)/.exec(text)?.[1]?.split('\\n')[0] ?? text.slice(0, 200);
      throw new RestError('http', `HTTP ${status}`, `GET ${target.pathname} answered HTTP ${status}${detail ? `: ${detail}` : ''}`, status);
    }
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new RestError('parse', 'BAD_JSON', `GET ${target.pathname} did not return JSON (${text.slice(0, 80)})`, status, { cause: err });
    }
  }

  private send(target: URL, signal: AbortSignal): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const client = target.protocol === 'https:' ? https : http;
      const req = client.get(target, { agent: this.agent, headers: this.headers, signal }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      });
      // An abort (timeout or stop) arrives as an error whose cause is the signal's reason (TimeoutError, …).
      req.on('error', (err: Error) => reject(err.name === 'AbortError' && signal.reason instanceof Error ? signal.reason : err));
    });
  }

  private acquire(): Promise<void> {
    if (this.active < this.maxConcurrency) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    // Hand the slot straight to the next waiter, so `active` never dips and lets a newcomer jump the queue.
    if (next) next();
    else this.active--;
  }
}
