// Stand-ins for reporter endpoints that appear and disappear on demand (a real Flink process cannot be made to
// vanish and come back on the same port within a unit test), and one that answers too slowly. Port 0 or a
// port we found free; loopback only.
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

/** Serves `body` at any path; `stop()` closes the port (connection refused), `start()` reopens the same port. */
export class AppearingReporterStandIn {
  body: string;
  /** Delay before answering, to provoke a scrape timeout. */
  delayMs = 0;
  status = 200;
  port = 0;
  private server: http.Server | undefined;

  constructor(body: string) {
    this.body = body;
  }

  async start(port = this.port): Promise<this> {
    const server = http.createServer((_req, res) => {
      const answer = (): void => {
        res.writeHead(this.status, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
        res.end(this.body);
      };
      if (this.delayMs > 0) setTimeout(answer, this.delayMs);
      else answer();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** `n` consecutive free loopback ports (probed by binding them), for port-range tests. */
export async function freePortBlock(n: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 30000);
    const held: net.Server[] = [];
    try {
      for (let p = base; p < base + n; p++) {
        const s = net.createServer();
        await new Promise<void>((resolve, reject) => {
          s.once('error', reject);
          s.listen(p, '127.0.0.1', () => resolve());
        });
        held.push(s);
      }
      return base;
    } catch {
      // one of them was taken: try another block
    } finally {
      await Promise.all(held.map((s) => new Promise<void>((r) => s.close(() => r()))));
    }
  }
  throw new Error('no block of free ports found');
}
