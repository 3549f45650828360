#!/usr/bin/env -S MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=131072 node --max-semi-space-size=2 --heap-growing-percent=100
// The shebang's settings keep the daemon's RSS bounded (README, "Deploying", has the measurements): V8's young
// generation capped at 2 MB per semi-space, its old generation allowed twice the live heap, and glibc's malloc
// with 2 arenas and a fixed 128 KiB mmap threshold, so large freed buffers go back to the system.
// V8 and glibc read them only at start-up, so they must be on the launch line; `npm start` passes the same.
// The `flink-telemetry-agent` command: run · check · once · schema · version. Every failure ends as a sentence on
// stderr and an exit code (0 ok, 1 failure or invalid config, 2 bad command line), never a stack trace.
import { closest } from '../config/suggest';
import { DEFAULT_CONFIG, EXIT_OK, parseCommandArgs, reportError, UsageError } from './common';
import { versionCommand } from './version';

// A command's modules load only when it runs: `--help` and `version` stay instant and never load every source's
// and sink's client libraries.
const lazy = {
  check: () => require('./check') as typeof import('./check'),
  once: () => require('./once') as typeof import('./once'),
  run: () => require('./run') as typeof import('./run'),
  schema: () => require('./schema-command') as typeof import('./schema-command'),
  load: () => require('../config/load') as typeof import('../config/load'),
};

const USAGE = `flink-telemetry-agent: Flink metrics, REST state and logs to OpenSearch, Prometheus remote-write, InfluxDB,
PostgreSQL and files, without losing data.

Usage: flink-telemetry-agent <command> [options]

Commands:
  run       Run the agent until SIGTERM or SIGINT
  check     Validate a config file: YAML, schema, topology, build components, reach endpoints
  once      Collect one round from every source (or one) and print it; nothing is sent
  schema    Print the JSON Schema of the config file (--example: a commented config with every option)
  version   Print the name and version

Options:
  -h, --help     Show help (also after a command: \`check --help\`)
  -v, --version  Same as the version command

Exit codes: 0 success, 1 failure (invalid config, unreachable endpoint, failed source), 2 bad command line.
Docs: docs/cli.md, docs/configuration.md; every option: config/agent.example.yaml.
`;

const CONFIG_OPTION = { config: { type: 'string', short: 'c', default: DEFAULT_CONFIG } } as const;

const HELP: Record<string, string> = {
  run: `Usage: flink-telemetry-agent run [--config FILE]

Runs the agent: collects from every source and delivers to every sink until SIGTERM or SIGINT, then flushes
within agent.shutdown_grace and exits 0; undelivered records stay in the disk buffers for the next start.

Options:
  -c, --config FILE   Config file (default ${DEFAULT_CONFIG})
  -h, --help          Show this help
`,
  check: `Usage: flink-telemetry-agent check [--config FILE] [--offline] [--strict] [--no-print-config]

Validates a config in stages and prints one line per item: ✓ ok, ~ warning, ✗ failure.
  read → parse (YAML) → substitute (\${VAR}, \${file:…}) → schema → topology (inputs, cycles)
  → build (construct every component) → reach (contact each endpoint, one at a time)
Then prints the effective config: defaults filled in, secrets masked.

Options:
  -c, --config FILE    Config file (default ${DEFAULT_CONFIG})
      --offline        Skip the reach stage: no network, no files read by sources
      --strict         Treat warnings (a source nobody reads, a source returning nothing) as failures
      --no-print-config  Do not print the effective config
  -h, --help           Show this help

Exit codes: 0 valid, 1 invalid config or a failed check (or, with --strict, a warning), 2 bad command line.
`,
  once: `Usage: flink-telemetry-agent once [--config FILE] [--source NAME] [--format text|json]

Collects one round from every source (or only --source NAME) and prints it; nothing is sent to sinks and no
offsets are committed. Log sources show their latest lines.

Options:
  -c, --config FILE    Config file (default ${DEFAULT_CONFIG})
  -s, --source NAME    Only this source
  -f, --format FORMAT  text: one readable line per record, grouped by source (default)
                       json: one JSON object per record (NDJSON) with a "source" field
  -h, --help           Show this help

Exit codes: 0 every source collected, 1 a source failed (its error is on stderr), 2 bad command line.
`,
  schema: `Usage: flink-telemetry-agent schema [--example]

Prints the JSON Schema (draft 2020-12) of the config file, for editors and CI. With --example, prints instead a
config that shows every option with a comment and one instance of each source, transform and sink type.
\`npm run schema\` writes both to config/agent.schema.json and config/agent.example.yaml.

Options:
      --example   Print the commented example config instead of the JSON Schema
  -h, --help      Show this help
`,
  version: `Usage: flink-telemetry-agent version

Prints the package name and version.
`,
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    const topic = command === 'help' ? rest[0] : undefined;
    process.stdout.write(topic && HELP[topic] ? HELP[topic] : USAGE);
    return EXIT_OK;
  }
  if (command === '-v' || command === '--version') return versionCommand();
  const help = HELP[command];
  if (!help) {
    const known = Object.keys(HELP);
    const near = closest(command, known);
    throw new UsageError(`unknown command \`${command}\`${near ? `; did you mean \`${near}\`?` : ''} Commands: ${known.join(', ')}; see \`flink-telemetry-agent --help\``);
  }
  const showHelp = () => (process.stdout.write(help), EXIT_OK);

  switch (command) {
    case 'run': {
      const { values } = parseCommandArgs(command, rest, CONFIG_OPTION);
      return values.help ? showHelp() : lazy.run().runCommand({ configFile: values.config });
    }
    case 'check': {
      const { values } = parseCommandArgs(command, rest, {
        ...CONFIG_OPTION,
        offline: { type: 'boolean', default: false },
        strict: { type: 'boolean', default: false },
        'no-print-config': { type: 'boolean', default: false },
      });
      if (values.help) return showHelp();
      return lazy.check().checkCommand({ configFile: values.config, offline: values.offline, strict: values.strict, printConfig: !values['no-print-config'] });
    }
    case 'once': {
      const { values } = parseCommandArgs(command, rest, {
        ...CONFIG_OPTION,
        source: { type: 'string', short: 's' },
        format: { type: 'string', short: 'f', default: 'text' },
      });
      if (values.help) return showHelp();
      if (values.format !== 'text' && values.format !== 'json') throw new UsageError(`once: --format must be text or json, not "${values.format}"`);
      const { config } = lazy.load().loadConfig(values.config);
      return lazy.once().onceCommand({ config, format: values.format, ...(values.source !== undefined ? { source: values.source } : {}) });
    }
    case 'schema': {
      const { values } = parseCommandArgs(command, rest, { example: { type: 'boolean', default: false } });
      return values.help ? showHelp() : lazy.schema().schemaCommand({ example: values.example });
    }
    default: {
      const { values } = parseCommandArgs(command, rest, {});
      return values.help ? showHelp() : versionCommand();
    }
  }
}

// `once | head` closes the pipe early; that is the reader being done, not an error worth a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.exitCode = reportError(err);
  },
);
