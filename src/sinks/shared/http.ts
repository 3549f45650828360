// Classification shared by every HTTP sink: which statuses and network errors are worth retrying, and how long
// the server asked us to wait. Each sink may special-case codes before falling back to these (and says why).
import type { SendResult } from '../../model/send-result';
import { errorCode } from '../../net/error-code';

/** `Retry-After` as seconds or an HTTP date → milliseconds; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Generic HTTP status classification; `body` (trimmed) goes into the reason so the operator sees the server's word. */
export function classifyHttpStatus(status: number, retryAfter: string | null | undefined, body = ''): SendResult {
  const detail = body ? `: ${body.slice(0, 500)}` : '';
  if (status >= 200 && status < 300) return { kind: 'ok' };
  // Payload too large: the runner halves the batch; a single record still too large is rejected there.
  if (status === 413) return { kind: 'too_large', reason: `HTTP 413${detail}` };
  // Rate-limited or overloaded: the same request will succeed later; honour Retry-After.
  if (status === 429 || status === 502 || status === 503 || status === 504) {
    const afterMs = parseRetryAfter(retryAfter);
    return afterMs === undefined ? { kind: 'retry', reason: `HTTP ${status}${detail}` } : { kind: 'retry', reason: `HTTP ${status}${detail}`, afterMs };
  }
  // Timeout on the server's side of a proxy: retry.
  if (status === 408) return { kind: 'retry', reason: `HTTP 408${detail}` };
  // Bad credentials are an operator problem, but retrying keeps the data until they fix it rather than losing it.
  if (status === 401 || status === 403) return { kind: 'retry', reason: `HTTP ${status} (check the credentials)${detail}` };
  // Any other 4xx: the request itself is wrong; resending the same bytes cannot succeed.
  if (status >= 400 && status < 500) return { kind: 'reject', reason: `HTTP ${status}${detail}` };
  // 5xx: the server may recover.
  return { kind: 'retry', reason: `HTTP ${status}${detail}` };
}

/** Network error codes that mean "not now" rather than "never". */
const RETRYABLE_NETWORK_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'ENETUNREACH', 'EHOSTUNREACH',
  'ECONNABORTED', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT',
  'ABORT_ERR', 'TimeoutError',
]);

/**
 * A thrown transport error → SendResult. Network failures are retried (the data waits in the buffer); TLS
 * verification failures too, with a reason that says what to fix, because dropping data over a certificate the
 * operator can repair would be worse. Anything unrecognised is retried as well and its code logged.
 */
export function classifyNetworkError(err: unknown, target: string): SendResult {
  const code = errorCode(err) ?? 'UNKNOWN';
  const message = err instanceof Error ? err.message : String(err);
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/i.test(code)) {
    return { kind: 'retry', reason: `TLS failure talking to ${target} (${code}: ${message}); check tls.ca_file or the server certificate` };
  }
  if (RETRYABLE_NETWORK_CODES.has(code)) return { kind: 'retry', reason: `${target} unreachable (${code}: ${message})` };
  return { kind: 'retry', reason: `request to ${target} failed (${code}: ${message})` };
}
