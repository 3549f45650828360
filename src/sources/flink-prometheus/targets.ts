// Which reporter endpoints to scrape this round: the static `urls`, plus every port of the range on the node (or
// on each host the JobManager lists). Probing is just the scrape itself: a closed port refuses the connection at
// once on a LAN, so trying twelve ports costs microseconds and needs no separate port check.
import { lookup } from 'node:dns/promises';
import type { Logger } from 'pino';
import type { Counter } from '../../component';
import { httpGetText } from './http-get';
import type { FlinkPrometheusConfig } from './schema';
import { parsePortRange } from './schema';

export interface Target {
  url: string;
  /** `host:port`, the `instance` label of `up` and the scrape series. */
  instance: string;
  /** Static targets are always expected; probed ones only exist while their port accepts connections. */
  probed: boolean;
}

/** Host of an RPC address such as `pekko.tcp://flink@10.0.0.5:35519/user/rpc/taskmanager_0` (akka in 1.x). */
export function hostFromRpcPath(path: string): string | undefined {
  const m = /@(\[[^\]]+\]|[^:/@]+):\d+/.exec(path);
  return m?.[1];
}

/** Hosts of the TaskManagers in a `/taskmanagers` response body. */
export function taskManagerHosts(body: unknown): string[] {
  const tms = (body as { taskmanagers?: unknown })?.taskmanagers;
  if (!Array.isArray(tms)) throw new Error('response has no "taskmanagers" array');
  const hosts: string[] = [];
  for (const tm of tms) {
    const path = (tm as { path?: unknown })?.path;
    const host = typeof path === 'string' ? hostFromRpcPath(path) : undefined;
    if (host) hosts.push(host);
  }
  return hosts;
}

export class TargetResolver {
  private readonly ports: [number, number];
  /** Hosts from the last successful discovery, used while the JobManager does not answer. */
  private knownHosts: string[] = [];
  private discoveryFailing = false;

  constructor(
    private readonly cfg: FlinkPrometheusConfig,
    private readonly timeoutMs: number,
    private readonly logger: Logger,
    private readonly discoveryFailures: Counter,
  ) {
    this.ports = parsePortRange(cfg.ports)!;
  }

  async resolve(signal: AbortSignal): Promise<Target[]> {
    const byUrl = new Map<string, Target>();
    for (const url of this.cfg.urls) {
      const u = new URL(url);
      byUrl.set(u.href, { url: u.href, instance: u.host, probed: false });
    }
    if (this.cfg.scan) {
      for (const host of await this.hosts(signal)) {
        const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
        for (let port = this.ports[0]; port <= this.ports[1]; port++) {
          const url = new URL(`http://${h}:${port}${this.cfg.path}`).href;
          // A static URL for the same endpoint wins: the operator said it must be there.
          if (!byUrl.has(url)) byUrl.set(url, { url, instance: `${h}:${port}`, probed: true });
        }
      }
    }
    return [...byUrl.values()];
  }

  /** The hosts to probe: `host`, or the JobManager's and TaskManagers' hosts when discovering. */
  private async hosts(signal: AbortSignal): Promise<string[]> {
    if (!this.cfg.discover_from) return [this.cfg.host];
    const base = new URL(this.cfg.discover_from);
    const url = new URL('taskmanagers', base.href.endsWith('/') ? base.href : base.href + '/').href;
    try {
      const res = await httpGetText(url, this.timeoutMs, signal, 'application/json');
      if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${res.body.slice(0, 200)}`);
      this.knownHosts = await dedupeByAddress([base.hostname, ...taskManagerHosts(JSON.parse(res.body))]);
      if (this.discoveryFailing) this.logger.info({ url, hosts: this.knownHosts }, 'TaskManager discovery works again');
      this.discoveryFailing = false;
    } catch (err) {
      if (signal.aborted) throw err;
      this.discoveryFailures.inc();
      // Warn once per failure streak; keep probing the hosts we knew so a JobManager restart loses no TM metrics.
      if (!this.discoveryFailing) {
        this.logger.warn({ url, err: (err as Error).message, using: this.knownHosts }, 'TaskManager discovery failed; probing the hosts found last time (check discover_from)');
      }
      this.discoveryFailing = true;
      if (this.knownHosts.length === 0) this.knownHosts = [base.hostname];
    }
    return this.knownHosts;
  }
}

/**
 * One host per address, so `localhost` (JobManager URL) and `127.0.0.1` (TaskManager RPC address) do not make us
 * scrape the same reporter twice and emit every series twice. A name that does not resolve is kept as it is.
 */
async function dedupeByAddress(hosts: string[]): Promise<string[]> {
  const seen = new Map<string, string>();
  for (const host of new Set(hosts)) {
    const bare = host.replace(/^\[|\]$/g, '');
    // IPv4 first: `localhost` may resolve to ::1 while Flink's TaskManagers register with 127.0.0.1.
    const address = await lookup(bare, { family: 4 }).catch(() => lookup(bare)).then((r) => r.address, () => bare);
    if (!seen.has(address)) seen.set(address, bare);
  }
  return [...seen.values()];
}
