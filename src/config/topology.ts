// The graph the config describes: sources → transforms → sinks, wired by `inputs`. Checked after the schema so
// the agent never starts with a sink reading from a name that does not exist or transforms feeding each other.
import type { ConfigLocation, ConfigProblem } from '../errors';
import type { AgentConfig } from './schema';
import { didYouMean, listNames } from './suggest';
import { formatPath, type FieldPath } from './yaml-source';

export type Locator = (path: FieldPath, onKey?: boolean) => ConfigLocation;

export interface TopologyResult {
  errors: ConfigProblem[];
  warnings: ConfigProblem[];
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

export function checkTopology(config: AgentConfig, locate: Locator): TopologyResult {
  const errors: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];
  const problem = (list: ConfigProblem[], path: FieldPath, message: string, onKey = false) =>
    list.push({ ...locate(path, onKey), path: formatPath(path), message });

  const sources = Object.keys(config.sources);
  const transforms = Object.keys(config.transforms);
  const sinks = Object.keys(config.sinks);
  if (sources.length === 0) problem(errors, ['sources'], 'no sources are configured; add at least one under `sources:`', true);
  if (sinks.length === 0) problem(errors, ['sinks'], 'no sinks are configured; add at least one under `sinks:`', true);

  // Names share one namespace because `inputs` refers to sources and transforms alike.
  const seen = new Map<string, string>();
  for (const [section, names] of [['sources', sources], ['transforms', transforms], ['sinks', sinks]] as const) {
    for (const name of names) {
      if (!NAME.test(name)) problem(errors, [section, name], `component name \`${name}\` may only use letters, digits, \`_\` and \`-\``, true);
      const other = seen.get(name);
      if (other) problem(errors, [section, name], `the name \`${name}\` is already used in \`${other}\`; component names must be unique`, true);
      else seen.set(name, section);
    }
  }

  const readable = new Set([...sources, ...transforms]);
  const read = new Set<string>();
  const wired = [
    ...transforms.map((name) => ['transforms', name, config.transforms[name]!.inputs] as const),
    ...sinks.map((name) => ['sinks', name, config.sinks[name]!.inputs] as const),
  ];
  for (const [section, name, inputs] of wired) {
    if (!Array.isArray(inputs) || inputs.length === 0) {
      problem(errors, [section, name], `\`${name}\` has no inputs; list the sources or transforms it reads in \`inputs\``, true);
      continue;
    }
    inputs.forEach((input, i) => {
      read.add(input);
      if (input === name) problem(errors, [section, name, 'inputs', i], `\`${name}\` cannot read its own output`);
      else if (config.sinks[input] !== undefined) problem(errors, [section, name, 'inputs', i], `\`${input}\` is a sink; inputs name sources or transforms`);
      else if (!readable.has(input)) {
        const hint = didYouMean(input, readable) || (readable.size ? `; known inputs: ${listNames(readable)}` : '');
        problem(errors, [section, name, 'inputs', i], `unknown input \`${input}\`${hint}`);
      }
    });
  }

  for (const cycle of findCycles(config)) {
    const first = cycle[0]!;
    const i = config.transforms[first]!.inputs.indexOf(cycle[cycle.length - 2]!);
    problem(errors, ['transforms', first, 'inputs', Math.max(i, 0)], `transforms form a cycle: ${cycle.join(' → ')}; records would loop forever`);
  }

  for (const name of sources) {
    if (!read.has(name)) problem(warnings, ['sources', name], `source \`${name}\` is not an input of any sink or transform; what it collects goes nowhere`, true);
  }
  for (const name of transforms) {
    if (!read.has(name)) problem(warnings, ['transforms', name], `transform \`${name}\` is not an input of any sink or transform; its output goes nowhere`, true);
  }
  return { errors, warnings };
}

/** Cycles among transforms, each as `a → b → a` listed once, starting at its alphabetically first member. */
function findCycles(config: AgentConfig): string[][] {
  const cycles = new Map<string, string[]>();
  const state = new Map<string, 'active' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string) => {
    state.set(name, 'active');
    stack.push(name);
    // Following an edge "name reads input" walks against the data flow; reverse the cycle so it reads downstream.
    for (const input of config.transforms[name]!.inputs ?? []) {
      if (config.transforms[input] === undefined || input === name) continue; // self-reads are reported above
      if (state.get(input) === 'active') {
        const loop = stack.slice(stack.indexOf(input)).reverse();
        const start = loop.indexOf([...loop].sort()[0]!);
        const rotated = [...loop.slice(start), ...loop.slice(0, start)];
        cycles.set(rotated.join(','), [...rotated, rotated[0]!]);
      } else if (!state.has(input)) {
        visit(input);
      }
    }
    stack.pop();
    state.set(name, 'done');
  };
  for (const name of Object.keys(config.transforms)) if (!state.has(name)) visit(name);
  return [...cycles.values()];
}
