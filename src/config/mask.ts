// Printing the effective config (`check`, the startup log, /status) must never print a secret.
export const MASK = '******';

/** Keys whose value is a secret whatever it looks like. `key_file` / `ca_file` are paths, not secrets. */
const SECRET_KEY = /(password|passwd|secret|token|api_?key|credential|private_key)$/i;

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

/** `https://user:pass@host` → `https://user:******@host`. */
export function maskUrlPassword(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/:@\s]*):[^/@\s]+@/i, `$1:${MASK}@`);
}
