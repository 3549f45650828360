// Printing the effective config (`check`, the startup log, /status) must never print a secret.
export const MASK = '******';

/** Keys whose value is a secret whatever it looks like. `key_file` / `ca_file` are paths, not secrets. */
const SECRET_NAME = '(?:password|passwd|secret|token|api_?key|credential|private_key)';
const SECRET_KEY = new RegExp(`${SECRET_NAME}$`, 'i');
/** The start of a URL (`https://`, `postgres://`): only such strings carry a password or query to mask. */
const URL_START = '[a-z][a-z0-9+.-]*:\\/\\/';
const IS_URL = new RegExp(`^${URL_START}`, 'i');
/** `scheme://user:` then the password up to the LAST `@` before a query or fragment. */
const URL_PASSWORD = new RegExp(`^(${URL_START}[^/:@\\s]*):[^?#\\s]*@`, 'i');
/** `password=…`, `access_token=…` in a URL's query string (libpq takes `?password=` in a connection string). */
const SECRET_PARAM = new RegExp(`([?&][^=&#\\s]*${SECRET_NAME}=)[^&#\\s]*`, 'gi');

/**
 * A deep copy with secrets replaced by `******`: values under secret-looking keys, values that came from a
 * `${file:…}` reference (`secretPaths`, dotted field paths from the loader) and passwords inside URLs.
 */
export function maskSecrets<T>(value: T, secretPaths: readonly string[] = []): T {
  const secret = new Set(secretPaths);
  const walk = (v: unknown, path: string, key: string): unknown => {
    if (secret.has(path) || (SECRET_KEY.test(key) && v !== undefined && v !== null && typeof v !== 'object')) return MASK;
    if (Array.isArray(v)) return v.map((item, i) => walk(item, `${path}[${i}]`, key));
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, child] of Object.entries(v)) out[k] = walk(child, path ? `${path}.${k}` : k, k);
      return out;
    }
    return typeof v === 'string' ? maskUrlPassword(v) : v;
  };
  return walk(value, '', '') as T;
}

/**
 * `https://user:pass@host` → `https://user:******@host`, and the values of secret-looking query parameters
 * (`?password=…`). The password runs to the LAST `@` before any query or fragment: an unencoded `@` or `/` in it
 * must not leave its tail in clear (if that over-masks the host of a URL that is no URL, nothing leaks).
 */
export function maskUrlPassword(text: string): string {
  if (!IS_URL.test(text)) return text;
  return text.replace(URL_PASSWORD, `$1:${MASK}@`).replace(SECRET_PARAM, `$1${MASK}`);
}
