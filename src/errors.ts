// The agent's coded errors, one catalog. Each has a stable `code`, a `name`, readonly fields and `cause` for a
// wrapped error, so the CLI prints a sentence (never a stack trace) and tests assert on the code.

export type AgentErrorCode =
  | 'AGT_CONFIG_INVALID'
  | 'AGT_CONFIG_UNREADABLE'
  | 'AGT_CONFIG_SUBSTITUTION'
  | 'AGT_TOPOLOGY_INVALID'
  | 'AGT_DATA_DIR_LOCKED'
  | 'AGT_QUEUE_CORRUPT'
  | 'AGT_SINK_REJECTED'
  | 'AGT_SOURCE_UNREACHABLE';

export class AgentError extends Error {
  override name = 'AgentError';
  readonly code: AgentErrorCode;
  constructor(code: AgentErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Where in the YAML a problem is: `agent.yaml:12:5`. Line and column are 1-based. */
export interface ConfigLocation {
  file: string;
  line?: number;
  column?: number;
}

/** One problem found in a config file: the field path, what was wrong, what would be right. */
export interface ConfigProblem extends ConfigLocation {
  /** Dotted field path, e.g. `sinks.search.url`. Empty for the document itself. */
  path: string;
  message: string;
}

/** A config that cannot run. `problems` lists every issue found, each printed as `file:line:col path: message`. */
export class ConfigError extends AgentError {
  override name = 'ConfigError';
  readonly problems: readonly ConfigProblem[];
  constructor(code: 'AGT_CONFIG_INVALID' | 'AGT_CONFIG_UNREADABLE' | 'AGT_CONFIG_SUBSTITUTION' | 'AGT_TOPOLOGY_INVALID', problems: ConfigProblem[], options?: { cause?: unknown }) {
    super(code, problems.map(formatProblem).join('\n'), options);
    this.problems = problems;
  }
}

export function formatProblem(p: ConfigProblem): string {
  const where = p.line !== undefined ? `${p.file}:${p.line}:${p.column ?? 1}` : p.file;
  return p.path ? `${where} ${p.path}: ${p.message}` : `${where}: ${p.message}`;
}
