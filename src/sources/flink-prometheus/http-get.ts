// One HTTP GET with a hard time limit, for scrapes and the discovery call. node:http directly: no connection
// pool on purpose, because a Flink process that restarts on the same port would leave a pooled socket that fails
// the next scrape and shows the target as down for a round.
import http from 'node:http';
import https from 'node:https';

export interface GetResponse<Body> {
  status: number;
  contentType: string;
  body: Body;
}

export type TextResponse = GetResponse<string>;

/** Where a response body's bytes go as they arrive (page-buffers.ts writes them into a reused buffer). */
export interface BodyCollector {
  /** Before the first chunk; `lengthHint` is the Content-Length, 0 when the response has none. */
  start(lengthHint: number): void;
  write(chunk: Buffer): void;
  /** The whole body, after the last chunk. */
  end(): Buffer;
}

/** Keeps the chunks and joins them at the end: for one-off GETs. */
class ChunkList implements BodyCollector {
  private readonly chunks: Buffer[] = [];
  start(): void {}
  write(chunk: Buffer): void {
    this.chunks.push(chunk);
  }
  end(): Buffer {
    return this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
  }
}

/** A failed GET; `code` is the socket error (`ECONNREFUSED`, …) or `TIMEOUT` / `ABORTED`. */
export class GetError extends Error {
  override name = 'GetError';
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

/** GET `url` and decode the body as UTF-8. */
export async function httpGetText(url: string, timeoutMs: number, signal: AbortSignal, accept?: string): Promise<TextResponse> {
  const res = await httpGet(url, timeoutMs, signal, accept);
  return { ...res, body: res.body.toString('utf8') };
}

/**
 * GET `url`, body as bytes: the scrape reads the exposition from them without decoding it whole (scrape-memo.ts).
 * The body is collected by `into` (by default a chunk list). A GET that settles early (time limit, abort) destroys
 * the request, which stops the response's chunks too: a late page cannot write into a buffer the next round uses.
 */
export function httpGet(url: string, timeoutMs: number, signal: AbortSignal, accept?: string, into: BodyCollector = new ChunkList()): Promise<GetResponse<Buffer>> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new GetError('ABORTED', `GET ${url} not sent: the agent is stopping`));
    const client = url.startsWith('https:') ? https : http;
    let settled = false;
    const finish = (err: GetError | undefined, res?: GetResponse<Buffer>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      if (err) {
        req.destroy();
        reject(err);
      } else resolve(res!);
    };
    const onAbort = (): void => finish(new GetError('ABORTED', `GET ${url} aborted: the agent is stopping`));
    const timer = setTimeout(() => finish(new GetError('TIMEOUT', `GET ${url} took longer than ${timeoutMs} ms`)), timeoutMs);
    signal.addEventListener('abort', onAbort, { once: true });
    const req = client.get(url, { agent: false, headers: accept ? { accept } : {} }, (res) => {
      into.start(Number(res.headers['content-length'] ?? 0) || 0);
      res.on('data', (chunk: Buffer) => into.write(chunk));
      res.on('error', (e: NodeJS.ErrnoException) => finish(new GetError(e.code ?? 'ERROR', `GET ${url}: ${e.message}`)));
      res.on('end', () =>
        finish(undefined, {
          status: res.statusCode ?? 0,
          contentType: String(res.headers['content-type'] ?? ''),
          body: into.end(),
        }),
      );
    });
    req.on('error', (e: NodeJS.ErrnoException) => finish(new GetError(e.code ?? 'ERROR', `GET ${url}: ${e.code ?? ''} ${e.message}`.trim())));
  });
}
