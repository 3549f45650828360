// Loading the config file of this build: read once, validate whole, hand down typed objects.
import { ConfigError } from '../errors';
import { parseConfigWith, readConfigFile, runConfigStages, type LoadedConfig, type StagedResult } from './parse';
import { agentConfigSchema } from './registered';

/** Reads, substitutes and validates `file`; throws ConfigError with every problem of the failing stage. */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const read = readConfigFile(file);
  if ('error' in read) throw read.error;
  return parseConfigWith(read.text, file, env, agentConfigSchema());
}

/** As loadConfig, on text already in memory (`file` only names it in messages). */
export function parseConfigText(text: string, file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  return parseConfigWith(text, file, env, agentConfigSchema());
}

/** Every stage with its outcome, for `check`; never throws for a bad config. */
export function inspectConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): StagedResult {
  const read = readConfigFile(file);
  if ('error' in read) return { ok: false, stage: 'read', error: read.error, passed: [] };
  const r = runConfigStages(read.text, file, env, agentConfigSchema());
  return { ...r, passed: [{ stage: 'read', summary: file }, ...r.passed] };
}

export { ConfigError };
export type { LoadedConfig, StagedResult };
