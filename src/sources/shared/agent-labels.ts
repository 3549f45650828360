// The labels every sample of a source carries besides its own: the agent's identity and the config's extras.
import type { AgentInfo } from '../../component';
import type { Labels } from '../../model';

/**
 * `agent.labels`, then the source's `labels` option, then `cluster` and `node`. The identity labels come last
 * so no config can make two nodes' series look alike.
 */
export function agentLabels(agent: AgentInfo, sourceLabels: Labels): Labels {
  return { ...agent.labels, ...sourceLabels, cluster: agent.cluster, node: agent.node };
}
