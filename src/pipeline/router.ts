// The Router hands each source's records down every path of the topology: through the transforms, to each sink
// that lists the source (or a transform on the way) in its `inputs:`. emit() resolves only when every sink
// reached has durably taken its share, because the source commits its offset right after.
import { AgentError } from '../errors';
import type { TelemetryRecord } from '../model';
import type { Transform } from '../transforms/types';

/** What the Router needs of a sink's runner (a SinkRunner, or anything that enqueues durably). */
export interface RouterTarget {
  enqueue(records: TelemetryRecord[]): Promise<void>;
  /** Resolves once the target's sender is close behind what it took, or is not sending (see emit). */
  caughtUp?(): Promise<void>;
}

export interface Topology {
  sources: string[];
  transforms: Record<string, { inputs: string[]; transform: Transform }>;
  sinks: Record<string, { inputs: string[]; runner: RouterTarget }>;
}

export interface EmitOptions {
  /**
   * Wait after the durable hand-over until a sink is close behind (see emit). For streaming sources (files,
   * journald): their backlog stays where it is while they wait. Never for a polled source (scrapes, REST): its
   * next round would be skipped and lost.
   */
  paced?: boolean;
}

type Step = { kind: 'transform'; name: string; transform: Transform; next: Step[] } | { kind: 'sink'; name: string; runner: RouterTarget };

export class Router {
  private readonly plans = new Map<string, Step[]>();

  /** Checks the topology (unknown inputs, cycles) and precomputes each source's paths. */
  constructor(topology: Topology) {
    const known = new Set([...topology.sources, ...Object.keys(topology.transforms)]);
    const problems: string[] = [];
    const consumers = new Map<string, Array<{ kind: 'transform' | 'sink'; name: string }>>();
    const link = (kind: 'transform' | 'sink', name: string, inputs: string[]): void => {
      for (const input of inputs) {
        if (!known.has(input)) problems.push(`${kind}s.${name}.inputs names "${input}", which is neither a source nor a transform`);
        else consumers.set(input, [...(consumers.get(input) ?? []), { kind, name }]);
      }
    };
    for (const [name, t] of Object.entries(topology.transforms)) link('transform', name, t.inputs);
    for (const [name, s] of Object.entries(topology.sinks)) link('sink', name, s.inputs);
    if (problems.length) throw new AgentError('AGT_TOPOLOGY_INVALID', problems.join('; '));

    const build = (node: string, path: string[]): Step[] =>
      (consumers.get(node) ?? []).map((c): Step => {
        if (c.kind === 'sink') return { kind: 'sink', name: c.name, runner: topology.sinks[c.name]!.runner };
        if (path.includes(c.name)) throw new AgentError('AGT_TOPOLOGY_INVALID', `transforms form a cycle: ${[...path, c.name].join(' → ')}`);
        return { kind: 'transform', name: c.name, transform: topology.transforms[c.name]!.transform, next: build(c.name, [...path, c.name]) };
      });
    for (const source of topology.sources) this.plans.set(source, build(source, [source]));
  }

  /** Sink names a source reaches (for /status and `check`). */
  sinksOf(source: string): string[] {
    const out = new Set<string>();
    const walk = (steps: Step[]): void => steps.forEach((s) => (s.kind === 'sink' ? out.add(s.name) : walk(s.next)));
    walk(this.plans.get(source) ?? []);
    return [...out];
  }

  /**
   * Sends `records` from `source` down every path. Resolves when every sink reached took its share durably
   * (at once when no sink is reachable); rejects if any sink refused (e.g. stopping): do not commit then.
   * Transforms must not mutate their input: the same array goes down sibling paths. `paced`: see EmitOptions.
   */
  async emit(source: string, records: TelemetryRecord[], options: EmitOptions = {}): Promise<void> {
    const plan = this.plans.get(source);
    if (!plan) throw new AgentError('AGT_TOPOLOGY_INVALID', `unknown source "${source}" emitted records`);
    if (records.length === 0) return;
    const pending: Array<Promise<void>> = [];
    const reached: RouterTarget[] = [];
    this.walk(plan, records, pending, reached);
    await (pending.length === 1 ? pending[0] : Promise.all(pending));
    // Pacing. A disk queue takes records in microseconds, so a source catching up a backlog (a large log file)
    // would copy all of it to disk far ahead of every sink, and each sink decode it back, with every record
    // alive long enough to fill V8's old generation. Waiting until the fastest sink reached is close behind
    // keeps its reader in the queue's in-memory hot tail; a slower or dead sink never holds the others, because
    // any one caught-up sink (or a sink that is not reading) lets the source go on.
    if (!options.paced) return;
    const pacers = reached.filter((t) => t.caughtUp !== undefined);
    if (pacers.length > 0) await Promise.any(pacers.map((t) => t.caughtUp!()));
  }

  private walk(steps: Step[], records: TelemetryRecord[], pending: Array<Promise<void>>, reached: RouterTarget[]): void {
    for (const step of steps) {
      if (step.kind === 'sink') {
        pending.push(step.runner.enqueue(records));
        reached.push(step.runner);
      } else {
        const out = step.transform.apply(records);
        if (out.length > 0) this.walk(step.next, out, pending, reached);
      }
    }
  }
}
