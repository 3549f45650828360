// Building one component: find its definition by `type` and hand it a context with its own logger, metrics and
// status entry. Shared by the running agent and by the CLI's `once` and `check`.
import type { Logger } from 'pino';
import type { AgentConfig } from '../config';
import type { ComponentContext } from '../component';
import type { ComponentKind, SelfMetrics } from '../self/metrics';
import type { StatusBoard } from '../self/status';

/** What the agent process provides to every component it builds. */
export interface AgentServices {
  logger: Logger;
  metrics: SelfMetrics;
  status: StatusBoard;
}

export function findDefinition<D extends { type: string }>(defs: readonly D[], kind: ComponentKind, name: string, type: string): D {
  const def = defs.find((d) => d.type === type);
  // The config schema already rejects unknown types; this guards programmatic use.
  if (!def) throw new Error(`${kind} "${name}": unknown type "${type}" (known: ${defs.map((d) => d.type).join(', ')})`);
  return def;
}

export function buildContext(services: AgentServices, config: AgentConfig, kind: ComponentKind, name: string, type: string): ComponentContext {
  const a = config.agent;
  return {
    name,
    agent: { cluster: a.cluster, node: a.node, labels: a.labels, dataDir: a.data_dir },
    logger: services.logger.child({ component: `${kind}/${name}` }),
    metrics: services.metrics.forComponent(kind, name, type),
    status: services.status.register(kind, name, type),
  };
}
