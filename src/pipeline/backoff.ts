// Exponential backoff with FULL jitter (a uniform wait in [0, cap]): after an outage every agent of a cluster
// would otherwise retry in lock-step and knock the recovering server over again.

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
}

/**
 * Wait before retry number `attempt` (1 = the wait after the first failure). The server's Retry-After
 * (`afterMs`) wins when longer, but is itself capped at 4 × max_backoff so a silly header cannot park a sink for a day.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number, afterMs?: number): number {
  const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(attempt - 1, 40));
  const jittered = Math.floor(random() * ceiling);
  return Math.min(Math.max(jittered, afterMs ?? 0), policy.maxMs * 4);
}
