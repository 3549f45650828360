// The agent's own HTTP endpoint (127.0.0.1:9464 by default): /metrics for Prometheus, /healthz (alive),
// /readyz (sources collecting, sinks not failing), /status (JSON per component).
import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';
import type { SelfMetrics } from './metrics';
import type { StatusBoard } from './status';

export interface SelfHttpOptions {
  listen: string;
  metrics: SelfMetrics;
  status: StatusBoard;
  logger: Logger;
  info: Record<string, unknown>;
}

export function parseListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  const host = i > 0 ? listen.slice(0, i).replace(/^\[|\]$/g, '') : '127.0.0.1';
  const port = Number(i >= 0 ? listen.slice(i + 1) : listen);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`agent.http.listen: "${listen}" is not host:port`);
  return { host, port };
}

export async function startSelfHttp(o: SelfHttpOptions): Promise<Server> {
  const started = Date.now();
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const json = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body, null, 2) + '\n');
    };
    if (path === '/metrics') {
      o.metrics.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': o.metrics.registry.contentType });
          res.end(text);
        },
        (err: unknown) => json(500, { error: String(err) }),
      );
    } else if (path === '/healthz') {
      json(200, { status: 'alive', uptime_seconds: Math.round((Date.now() - started) / 1000) });
    } else if (path === '/readyz') {
      const r = o.status.readiness();
      json(r.ready ? 200 : 503, { ready: r.ready, reasons: r.reasons });
    } else if (path === '/status') {
      json(200, { ...o.info, uptime_seconds: Math.round((Date.now() - started) / 1000), components: o.status.snapshot() });
    } else {
      json(404, { error: `no such endpoint ${path}; try /metrics, /healthz, /readyz or /status` });
    }
  });
  const { host, port } = parseListen(o.listen);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(`agent.http.listen: cannot listen on ${o.listen} (${err.code ?? err.message}); pick another port or set agent.http.enabled: false`)),
    );
    server.listen(port, host, () => resolve());
  });
  o.logger.info({ listen: o.listen }, 'self-observability HTTP listening (/metrics /healthz /readyz /status)');
  return server;
}
