// Talks to OpenSearch through @opensearch-project/opensearch's Transport (connection pool, TLS, gzip) with its
// own retries switched off, and turns every answer into a SendResult. It never sleeps or retries: the SinkRunner
// owns time. Raw `transport.request` rather than `client.bulk` because our body is already NDJSON text; the
// client's `helpers.bulk` is avoided on purpose (it drops everything but 429 items and aborts on request errors).
import type { Readable } from 'node:stream';
import type { SendResult } from '../../model/send-result';
import { classifyHttpStatus, classifyNetworkError } from '../shared/http';
import { authorizationHeader, loadTls } from '../../net/tls-auth';
import type { EncodeProblem } from './encode';
import type { OpenSearchConfig } from './schema';
import { openTransport, type OpenSearchTransport } from './transport';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** Every 4xx/5xx is returned rather than thrown, so one function classifies them all. */
const ALL_ERROR_STATUSES = Array.from({ length: 200 }, (_, i) => 400 + i);

/** Only what classification needs: keeps a 1000-item response small. Every item keeps `status`, so order holds. */
const BULK_FILTER = 'errors,items.*.status,items.*.error.type,items.*.error.reason,items.*.error.caused_by.reason';

export class OpenSearchClient {
  readonly url: string;
  private readonly client: OpenSearchTransport;

  constructor(cfg: OpenSearchConfig, where: string) {
    this.url = cfg.url.replace(/\/+$/, '');
    const auth = authorizationHeader(cfg.auth);
    this.client = openTransport({
      url: this.url,
      requestTimeoutMs: cfg.request.timeout,
      gzip: cfg.compression,
      tls: this.url.startsWith('https:') ? loadTls(cfg.tls, where) : undefined,
      headers: auth ? { authorization: auth } : {},
    });
  }

  /**
   * One HTTP request. Resolves for every HTTP status; throws only when no response arrived (see
   * classifyTransportError). `raw`: the body is handed back as text, unparsed.
   */
  async request(method: string, path: string, options: { body?: unknown; bulk?: Buffer; query?: Record<string, string>; raw?: boolean; signal?: AbortSignal | undefined } = {}): Promise<RawResponse> {
    const { signal } = options;
    signal?.throwIfAborted();
    const pending = this.client.transport.request(
      {
        method,
        path,
        ...(options.body !== undefined ? { body: options.body as Record<string, unknown> } : {}),
        ...(options.bulk !== undefined ? { bulkBody: options.bulk } : {}),
        ...(options.query ? { querystring: options.query } : {}),
      },
      { ignore: ALL_ERROR_STATUSES, ...(options.raw ? { asStream: true } : {}) },
    );
    const onAbort = () => pending.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const res = await pending;
      const body = options.raw ? await text(res.body as Readable) : res.body;
      return { status: res.statusCode ?? 0, headers: res.headers ?? {}, body };
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** POST /_bulk with a pre-built NDJSON body; the answer classified item by item. */
  async bulk(body: Buffer, sent: readonly number[], problems: readonly EncodeProblem[], signal: AbortSignal): Promise<{ result: SendResult; duplicates: number }> {
    if (sent.length === 0) return { result: problemsOnly(problems), duplicates: 0 };
    let res: RawResponse;
    try {
      res = await this.request('POST', '/_bulk', { bulk: body, query: { filter_path: BULK_FILTER }, raw: true, signal });
    } catch (err) {
      return { result: classifyTransportError(err, this.url), duplicates: 0 };
    }
    return classifyBulkResponse({ ...res, body: parseBulkAnswer(res.body as string) }, sent, problems, this.url);
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

async function text(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A _bulk answer's JSON. `{"errors":false` at the start (filter_path keeps `errors` before `items`, in
 * OpenSearch's compact output) is all a delivered batch needs: its thousand item statuses are not parsed then
 * (parsing them, with the client's prototype-poisoning scan, was ~5% of the sink's CPU in a catch-up). Anything else
 * is parsed in full, and text that is not JSON stays text (classified as "not a bulk response").
 */
export function parseBulkAnswer(text: string): unknown {
  if (text.startsWith('{"errors":false')) return { errors: false };
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function problemsOnly(problems: readonly EncodeProblem[]): SendResult {
  return problems.length ? { kind: 'partial', retry: [], reject: [...problems] } : { kind: 'ok' };
}

function header(headers: RawResponse['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function bodyText(body: unknown): string {
  if (body === undefined || body === null) return '';
  return (typeof body === 'string' ? body : JSON.stringify(body)).slice(0, 500);
}

/**
 * A whole-request failure: statuses where OpenSearch's meaning differs from the generic HTTP table go first.
 * `url`: the URL that was requested (the configured url, with its path prefix, plus the request path).
 */
export function classifyRequestStatus(res: RawResponse, url: string): SendResult {
  const text = bodyText(res.body);
  // Credentials are the operator's to fix; keep the data (retry) and say exactly what to check.
  if (res.status === 401) return { kind: 'retry', reason: `authentication failed (HTTP 401) — check auth.username/password or auth.api_key for ${url}` };
  if (res.status === 403) return { kind: 'retry', reason: `permission denied (HTTP 403) — the user needs create_doc and create_index on the target indices: ${text}` };
  // Only asked of paths every OpenSearch serves: a 404 means the URL points somewhere else (a wrong proxy path
  // prefix, another service), so the message names the whole requested URL.
  if (res.status === 404) return { kind: 'retry', reason: `HTTP 404 for ${url} — check url: it does not look like an OpenSearch endpoint` };
  return classifyHttpStatus(res.status, header(res.headers, 'retry-after'), text);
}

interface BulkItem {
  status?: number;
  error?: { type?: string; reason?: string; caused_by?: { reason?: string } };
}

/**
 * A _bulk answer → SendResult. HTTP 200 can still carry failed items (`errors: true`): each is read on its own.
 *   2xx            stored.
 *   409 (create)   a document with this deterministic _id already exists: delivered earlier, counted as success.
 *   429, 5xx       the shard was busy or failing: only these items are retried.
 *   other 4xx      mapping conflict, parse error: retrying the same document cannot succeed → rejected with the reason.
 */
export function classifyBulkResponse(res: RawResponse, sent: readonly number[], problems: readonly EncodeProblem[], url: string): { result: SendResult; duplicates: number } {
  if (res.status < 200 || res.status >= 300) {
    const whole = classifyRequestStatus(res, `${url}/_bulk`);
    // Records the encoder already refused stay refused whatever happened to the request.
    if (problems.length === 0 || whole.kind === 'ok') return { result: whole, duplicates: 0 };
    if (whole.kind === 'reject') return { result: { kind: 'partial', retry: [], reject: [...problems, ...sent.map((index) => ({ index, reason: whole.reason }))] }, duplicates: 0 };
    return { result: { kind: 'partial', retry: [...sent], reject: [...problems] }, duplicates: 0 };
  }
  const body = res.body as { errors?: boolean; items?: Array<Record<string, BulkItem>> } | null;
  if (!body || typeof body !== 'object' || typeof body.errors !== 'boolean') {
    return { result: { kind: 'retry', reason: `${url}/_bulk answered HTTP ${res.status} without a bulk response — check url: ${bodyText(res.body)}` }, duplicates: 0 };
  }
  if (!body.errors) return { result: problemsOnly(problems), duplicates: 0 };
  const items = body.items ?? [];
  if (items.length !== sent.length) {
    // Cannot tell which item is which: resend all; the deterministic _id makes that safe.
    return { result: { kind: 'retry', reason: `bulk response has ${items.length} items for ${sent.length} documents` }, duplicates: 0 };
  }
  const retry: number[] = [];
  const reject: EncodeProblem[] = [...problems];
  let duplicates = 0;
  let firstRetryReason = '';
  for (let i = 0; i < items.length; i++) {
    const item = Object.values(items[i]!)[0] ?? {};
    const status = item.status ?? 0;
    if (status >= 200 && status < 300) continue;
    if (status === 409) {
      duplicates++;
      continue;
    }
    const reason = `${item.error?.type ?? 'HTTP ' + status}: ${item.error?.reason ?? ''}${item.error?.caused_by?.reason ? ` (${item.error.caused_by.reason})` : ''}`;
    if (status === 429 || status >= 500) {
      retry.push(sent[i]!);
      firstRetryReason ||= reason;
    } else {
      reject.push({ index: sent[i]!, reason: `HTTP ${status} ${reason}` });
    }
  }
  if (retry.length === 0 && reject.length === 0) return { result: { kind: 'ok' }, duplicates };
  return { result: { kind: 'partial', retry, reject }, duplicates };
}

/** The code inside the client's ConnectionError message (it keeps the socket error's text, not its code). */
function transportErrorCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; name?: unknown; message?: unknown };
  if (typeof e?.code === 'string') return e.code;
  if (e?.name === 'TimeoutError') return 'TimeoutError';
  if (e?.name === 'RequestAbortedError') return 'ABORT_ERR';
  const message = typeof e?.message === 'string' ? e.message : '';
  if (/certificate|self[- ]signed|altnames|SSL|TLS|wrong version number/i.test(message)) return 'ERR_TLS_CERT';
  return /\b(E[A-Z]{4,}|UND_ERR_[A-Z_]+)\b/.exec(message)?.[1];
}

/** No HTTP answer at all: connection refused, DNS, TLS, timeout. Always retried; the reason says what to check. */
export function classifyTransportError(err: unknown, url: string): SendResult {
  const code = transportErrorCode(err);
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof Error && err.name === 'DeserializationError') {
    return { kind: 'retry', reason: `${url} answered with something that is not JSON — check url: it does not look like OpenSearch` };
  }
  return classifyNetworkError(Object.assign(new Error(message), { code: code ?? 'UNKNOWN' }), url);
}
