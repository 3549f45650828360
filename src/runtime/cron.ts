// node-cron, loaded on first use: only agents with a `cron:` source or a sink that keeps retention need it, and
// with its imports (child_process, crypto) it adds ~1.5 MB to the RSS of an idle agent that has neither.
import type { ScheduledTask } from 'node-cron';

type NodeCron = typeof import('node-cron');
const nodeCron = (): NodeCron => require('node-cron') as NodeCron;

export type { ScheduledTask };

export function scheduleCron(expression: string, run: () => void, name: string): ScheduledTask {
  return nodeCron().schedule(expression, run, { name });
}

/** True when node-cron accepts the expression (5 fields, or 6 with seconds). */
export function isValidCron(expression: string): boolean {
  return nodeCron().validate(expression);
}
