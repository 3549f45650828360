// `flink-telemetry-agent check`: validates a config the way `vector validate` does, in stages — read, parse YAML,
// substitute, schema, topology, build every component, reach every endpoint (one at a time, so each error plainly
// belongs to its component) — printing one ✓ / ~ / ✗ line per item, then the effective config with secrets
// masked. Exit 0 when valid, 1 otherwise (and, with --strict, also on warnings).
import { checkComponents } from '../agent';
import { renderEffectiveConfig } from '../config/effective';
import { inspectConfigFile } from '../config/load';
import { agentJsonSchema } from '../config/registered';
import { formatProblem, type ConfigProblem } from '../errors';
import { cliLogger, EXIT_FAILURE, EXIT_OK } from './common';

export interface CheckOptions {
  configFile: string;
  offline: boolean;
  strict: boolean;
  /** Print the effective config (default true). */
  printConfig: boolean;
}

const MARK = { ok: '✓', warn: '~', fail: '✗' } as const;

export async function checkCommand(o: CheckOptions, write: (line: string) => void = (l) => process.stdout.write(l + '\n')): Promise<number> {
  write(`Checking ${o.configFile}${o.offline ? ' (offline: endpoints are not contacted)' : ''}`);
  const r = inspectConfigFile(o.configFile);
  for (const p of r.passed) write(`${MARK.ok} ${p.stage}: ${p.summary}`);
  if (!r.ok) {
    const n = r.error.problems.length;
    write(`${MARK.fail} ${r.stage}: ${n} problem${n === 1 ? '' : 's'}`);
    for (const p of r.error.problems) write(`    ${formatProblem(p)}`);
    write(`Configuration is invalid; fix the problem${n === 1 ? '' : 's'} above (file:line:column field: what is wrong).`);
    return EXIT_FAILURE;
  }
  const { config, warnings, secretPaths } = r.loaded;
  const warn = (p: ConfigProblem) => write(`${MARK.warn} topology: ${formatProblem(p)}`);
  warnings.forEach(warn);

  let failures = 0;
  let softWarnings = warnings.length;
  try {
    await checkComponents(config, {
      offline: o.offline,
      logger: cliLogger(),
      onItem: (item) => {
        write(`${MARK[item.status]} ${item.stage} ${item.kind} ${item.name}: ${item.message}`);
        if (item.status === 'fail') failures++;
        if (item.status === 'warn') softWarnings++;
      },
    });
  } catch (err) {
    write(`${MARK.fail} build: ${err instanceof Error ? err.message : String(err)}`);
    failures++;
  }

  if (o.printConfig) {
    write('');
    write('# Effective configuration: defaults filled in, secrets masked.');
    write(renderEffectiveConfig(config, agentJsonSchema(), secretPaths).trimEnd());
    write('');
  }
  if (failures > 0) {
    write(`Configuration is valid, but ${failures} check${failures === 1 ? '' : 's'} failed (see ✗ above).`);
    return EXIT_FAILURE;
  }
  if (o.strict && softWarnings > 0) {
    write(`Configuration has ${softWarnings} warning${softWarnings === 1 ? '' : 's'} (see ~ above); --strict makes them fatal.`);
    return EXIT_FAILURE;
  }
  write(`Configuration is valid${softWarnings ? ` (${softWarnings} warning${softWarnings === 1 ? '' : 's'})` : ''}.`);
  return EXIT_OK;
}
