// Pieces every command shares: argument parsing with plain-sentence errors, the CLI's own logger (on stderr, so
// stdout stays clean for NDJSON and YAML), and how errors are printed (a sentence, never a stack trace).
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Logger } from 'pino';
import { createLogger } from '../self/logger';
import { AgentError, ConfigError } from '../errors';

export const EXIT_OK = 0;
/** Invalid config, unreachable endpoint, failed collection. */
export const EXIT_FAILURE = 1;
/** Bad command line. */
export const EXIT_USAGE = 2;

export const DEFAULT_CONFIG = 'config/agent.yaml';

export class UsageError extends Error {
  override name = 'UsageError';
}

export type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs with `--help`, no positionals, and errors rephrased as a sentence naming the command. */
export function parseCommandArgs<O extends Options>(command: string, args: string[], options: O) {
  try {
    return parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: false, strict: true });
  } catch (err) {
    const msg = (err as Error).message.replace(/\. To specify.*$/s, '').replace(/\.$/, '');
    throw new UsageError(`${command}: ${msg}; see \`flink-telemetry-agent ${command} --help\``);
  }
}

/** The CLI's logger: warnings and errors of components on stderr, pretty on a terminal. */
export function cliLogger(level: 'warn' | 'info' | 'debug' = 'warn'): Logger {
  return createLogger({ level, format: 'auto', fd: 2 });
}

/** Prints an error as sentences on stderr and returns the exit code. */
export function reportError(err: unknown): number {
  if (err instanceof UsageError) {
    process.stderr.write(`${err.message}\n`);
    return EXIT_USAGE;
  }
  if (err instanceof ConfigError) {
    process.stderr.write(`Invalid configuration (${err.problems.length} problem${err.problems.length === 1 ? '' : 's'}):\n${err.message}\n`);
    return EXIT_FAILURE;
  }
  const message = err instanceof AgentError || err instanceof Error ? err.message : String(err);
  process.stderr.write(`error: ${message}\n`);
  return EXIT_FAILURE;
}
