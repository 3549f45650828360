// Who emits cluster-, job- and vertex-level figures when every node runs an agent. Exactly one agent must, or
// each figure (and each event) would arrive once per node. Rule (emit_cluster_metrics: auto):
//   the JobManager's host = `jobmanager.rpc.address` from /jobmanager/config when it names a real host, else the
//   host of the configured URL; this agent emits iff that host is one of this node's own addresses or names.
// Loopback names (localhost, 127.0.0.1, ::1) are "this node" by definition: a JobManager reached or configured
// through them runs here.
import { lookup } from 'node:dns/promises';
import { hostname, networkInterfaces } from 'node:os';

const LOOPBACK = /^(localhost|localhost\.localdomain|127(?:\.\d+){3}|::1|0:0:0:0:0:0:0:1)$/i;
/** Wildcards say nothing about where the JobManager runs. */
const UNSPECIFIED = new Set(['', '0.0.0.0', '::', '[::]']);

export function isLoopback(host: string): boolean {
  return LOOPBACK.test(stripBrackets(host));
}

function stripBrackets(host: string): string {
  return host.replace(/^\[(.*)\]$/, '$1');
}

/** The host to judge: the configured rpc address when it is specific, else the URL's host. */
export function jobManagerHost(urlHost: string, rpcAddress: string | undefined): string {
  const rpc = rpcAddress?.trim() ?? '';
  if (rpc && !UNSPECIFIED.has(rpc) && !isLoopback(rpc)) return rpc;
  return stripBrackets(urlHost);
}

/** This node's identity: every interface address, the host name (short and full), and loopback. */
export interface LocalIdentity {
  addresses: Set<string>;
  names: Set<string>;
}

export function localIdentity(): LocalIdentity {
  const addresses = new Set<string>(['127.0.0.1', '::1']);
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) addresses.add(a.address.toLowerCase());
  const full = hostname().toLowerCase();
  return { addresses, names: new Set([full, full.split('.')[0]!]) };
}

/** Addresses a host name resolves to; empty when it does not resolve (then it cannot be this node). */
export type Resolver = (host: string) => Promise<string[]>;

export const dnsResolver: Resolver = async (host) => {
  try {
    return (await lookup(host, { all: true })).map((a) => a.address.toLowerCase());
  } catch {
    return [];
  }
};

/** True when `host` denotes this node. */
export async function isLocalHost(host: string, me: LocalIdentity, resolve: Resolver = dnsResolver): Promise<boolean> {
  const h = stripBrackets(host).toLowerCase();
  if (isLoopback(h) || me.addresses.has(h) || me.names.has(h)) return true;
  const resolved = await resolve(h);
  return resolved.some((a) => me.addresses.has(a));
}
