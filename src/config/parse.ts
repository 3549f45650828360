// The loader's stages, in order: read → parse YAML → substitute references → schema → topology. Each stage
// reports every problem it finds; a later stage runs only when the earlier ones passed, because checking the
// schema of a document that failed to substitute would only repeat the same mistake in other words.
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { ConfigError, type ConfigProblem } from '../errors';
import { issuesToProblems } from './issues';
import { toJsonSchema } from './json-schema';
import type { AgentConfig } from './schema';
import { substitute } from './substitute';
import { checkTopology } from './topology';
import { locate, parseYaml, type YamlSource } from './yaml-source';

export type ConfigStage = 'read' | 'parse' | 'substitute' | 'schema' | 'topology';

export interface LoadedConfig {
  file: string;
  config: AgentConfig;
  /** Problems that do not stop the agent (e.g. a source nobody reads). `check --strict` treats them as errors. */
  warnings: ConfigProblem[];
  /** Dotted paths of values that came from `${file:…}` secrets; pass to maskSecrets() when printing. */
  secretPaths: string[];
}

/** Outcome of the stages: the loaded config, or the stage that failed and its ConfigError. */
export type StagedResult =
  | { ok: true; loaded: LoadedConfig; passed: StageReport[] }
  | { ok: false; stage: ConfigStage; error: ConfigError; passed: StageReport[] };

/** One passed stage with a short summary, for `check`'s ✓ lines. */
export interface StageReport {
  stage: ConfigStage;
  summary: string;
}

export function readConfigFile(file: string): { text: string } | { error: ConfigError } {
  try {
    return { text: readFileSync(file, 'utf8') };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    const hint = code === 'ENOENT' ? 'no such file; pass the path with --config' : code === 'EACCES' ? "permission denied; the agent's user must be able to read it" : 'cannot read it';
    return { error: new ConfigError('AGT_CONFIG_UNREADABLE', [{ file, path: '', message: `${hint} (${code})` }], { cause: err }) };
  }
}

/** Runs every stage on config text; never throws for a bad config. */
export function runConfigStages(text: string, file: string, env: NodeJS.ProcessEnv, schema: z.ZodType<AgentConfig, unknown>): StagedResult {
  const passed: StageReport[] = [];
  const fail = (stage: ConfigStage, code: ConstructorParameters<typeof ConfigError>[0], problems: ConfigProblem[]): StagedResult => ({
    ok: false,
    stage,
    error: new ConfigError(code, sortProblems(problems)),
    passed,
  });

  const { source, problems: syntax } = parseYaml(text, file);
  if (syntax.length) return fail('parse', 'AGT_CONFIG_INVALID', syntax);
  passed.push({ stage: 'parse', summary: 'well-formed YAML' });

  const subst = substitute(source, env);
  if (subst.problems.length) return fail('substitute', 'AGT_CONFIG_SUBSTITUTION', subst.problems);
  passed.push({ stage: 'substitute', summary: `${subst.count} reference${subst.count === 1 ? '' : 's'} resolved` });

  const data: unknown = source.doc.toJS({ maxAliasCount: 1000 });
  if (data === null || data === undefined) {
    return fail('schema', 'AGT_CONFIG_INVALID', [{ file, line: 1, column: 1, path: '', message: 'the file is empty; it needs at least `sources:` and `sinks:` (see config/agent.example.yaml)' }]);
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) return fail('schema', 'AGT_CONFIG_INVALID', issuesToProblems(parsed.error.issues, source, toJsonSchema(schema), data));
  const config = parsed.data;
  const counts = (['sources', 'transforms', 'sinks'] as const).map((k) => `${Object.keys(config[k]).length} ${k}`);
  passed.push({ stage: 'schema', summary: counts.join(', ') });

  const topology = checkTopology(config, (path, onKey) => locate(source, path, onKey));
  if (topology.errors.length) return fail('topology', 'AGT_TOPOLOGY_INVALID', topology.errors);
  passed.push({ stage: 'topology', summary: 'every input exists, no cycles' });

  return { ok: true, loaded: { file, config, warnings: sortProblems(topology.warnings), secretPaths: subst.secretPaths }, passed };
}

/** Validates config text against a schema; throws ConfigError listing every problem of the failing stage. */
export function parseConfigWith(text: string, file: string, env: NodeJS.ProcessEnv, schema: z.ZodType<AgentConfig, unknown>): LoadedConfig {
  const r = runConfigStages(text, file, env, schema);
  if (!r.ok) throw r.error;
  return r.loaded;
}

function sortProblems(problems: ConfigProblem[]): ConfigProblem[] {
  return [...problems].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}

export type { YamlSource };
