// The client library's Transport over a ConnectionPool, wired as its Client class wires them, without the Client
// itself: that class loads the library's whole typed REST API (hundreds of modules: ~65 ms of CPU at every agent
// start, measured, against ~30 ms for these) for the one method this sink uses, `transport.request`. These are the
// library's own public building blocks (the package exports them for custom transports); defaults as in Client.
import { EventEmitter } from 'node:events';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import Connection from '@opensearch-project/opensearch/lib/Connection.js';
import { ConnectionPool } from '@opensearch-project/opensearch/lib/pool/index.js';
import Serializer from '@opensearch-project/opensearch/lib/Serializer.js';
import Transport from '@opensearch-project/opensearch/lib/Transport.js';

export interface TransportOptions {
  url: string;
  requestTimeoutMs: number;
  gzip: boolean;
  tls: TlsOptions | undefined;
  headers: Record<string, string>;
}

export interface OpenSearchTransport {
  transport: Transport;
  /** Closes the pooled connections. */
  close(): Promise<void>;
}

export function openTransport(o: TransportOptions): OpenSearchTransport {
  const events = new EventEmitter();
  const emit = events.emit.bind(events);
  const pool = new ConnectionPool({
    Connection,
    emit,
    ...(o.tls ? { ssl: o.tls } : {}),
    pingTimeout: 3000,
    resurrectStrategy: 'ping',
    sniffEnabled: false,
  });
  // The whole url, path included: the library's Connection joins the url's path with every request path, so a
  // prefix (a reverse proxy's `/opensearch`) is kept on every request, the resurrection ping's too.
  pool.addConnection(o.url);
  const transport = new Transport({
    emit,
    connectionPool: pool,
    serializer: new Serializer(),
    maxRetries: 0, // the SinkRunner retries, with backoff and a deadline; the transport's instant retries would not
    requestTimeout: o.requestTimeoutMs,
    sniffEndpoint: '_nodes/_all/http',
    ...(o.gzip ? { compression: 'gzip' as const } : {}),
    headers: o.headers,
    name: 'opensearch-js',
  });
  return { transport, close: () => new Promise<void>((resolve) => pool.empty(resolve)) };
}
