// Shared by sources and sinks: what kind of network failure an error was, whatever wrapped it.

/** The `code` of an error or of its `cause` chain (fetch wraps the socket error as `cause`). */
export function errorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const name = (e as { name?: unknown }).name;
    if (name === 'TimeoutError' || name === 'AbortError') return name === 'AbortError' ? 'ABORT_ERR' : name;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
