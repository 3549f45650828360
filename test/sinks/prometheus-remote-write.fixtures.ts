// Test helpers shared by the remote-write and InfluxDB sink tests: a ComponentContext that records counters,
// sample builders, and a FaultInjectingReceiver for the faults real servers cannot produce on demand.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import type { ComponentContext } from '../../src/component';
import type { Labels, Sample } from '../../src/model';

export interface TestContext extends ComponentContext {
  counters: Map<string, number>;
  errors: string[];
}

export function testContext(name = 'test'): TestContext {
  const counters = new Map<string, number>();
  const errors: string[] = [];
  return {
    name,
    agent: { cluster: 'c', node: 'n', labels: {}, dataDir: '/tmp' },
    logger: pino({ level: 'silent' }),
    metrics: {
      counter: (n) => {
        counters.set(n, counters.get(n) ?? 0);
        return { inc: (by = 1) => counters.set(n, (counters.get(n) ?? 0) + by) };
      },
      gauge: () => ({ set: () => undefined }),
    },
    status: { error: (m) => errors.push(m), ok: () => undefined },
    counters,
    errors,
  };
}

export function sample(name: string, labels: Labels, value: number, timestampMs: number, extra: Partial<Sample> = {}): Sample {
  return { kind: 'sample', name, labels, value, timestampMs, ...extra };
}

export function randomSuffix(): string {
  return Math.random().toString(36).slice(2, 10);
}

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface FaultAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** A slow server: answer this long after the request arrived. */
  delayMs?: number;
}

/**
 * Not a stand-in for a real server: it only answers the faults we script (503, 429 + Retry-After, 400 bodies)
 * and records what it received, so tests can check request shape. Listens on port 0.
 */
export class FaultInjectingReceiver {
  readonly received: ReceivedRequest[] = [];
  /** Requests received and not yet answered, and the most there were at once. */
  private open = 0;
  maxOpen = 0;
  private readonly answers: FaultAnswer[] = [];
  private server: Server | undefined;
  url = '';

  /** Queue answers; once they run out the receiver answers 204. */
  answer(...answers: FaultAnswer[]): this {
    this.answers.push(...answers);
    return this;
  }

  /** `tls`: serve https with this key/certificate (see selfSignedCert). */
  async start(tls?: { key: Buffer; cert: Buffer }): Promise<this> {
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
        this.maxOpen = Math.max(this.maxOpen, ++this.open);
        const a = this.answers.shift() ?? { status: 204 };
        setTimeout(() => {
          this.open--;
          res.writeHead(a.status, a.headers);
          res.end(a.body ?? '');
        }, a.delayMs ?? 0);
      });
    };
    this.server = tls ? createHttpsServer(tls, handler) : createServer(handler);
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `${tls ? 'https' : 'http'}://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}

/** Polls `fn` until it returns a non-undefined value or the deadline passes (then throws with `what`). */
export async function pollUntil<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** A throw-away self-signed certificate for 127.0.0.1 (openssl, part of every Debian install). */
export function selfSignedCert(): { keyFile: string; certFile: string } {
  const dir = mkdtempSync(join(tmpdir(), 'fta-tls-'));
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  return { keyFile, certFile };
}
