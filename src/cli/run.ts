// `flink-telemetry-agent run --config FILE`: the daemon. SIGTERM/SIGINT stop sources, flush sinks within
// `agent.shutdown_grace`, leave the rest in the disk buffers and exit 0. SIGHUP reloads the config: an invalid new
// config is rejected (logged) and the old one keeps running. A lock keeps two agents off one data directory.
import type { Server } from 'node:http';
import { Agent } from '../agent';
import { loadConfig, type AgentConfig } from '../config';
import { AgentError, ConfigError } from '../errors';
import { createLogger } from '../self/logger';
import { SelfMetrics } from '../self/metrics';
import { StatusBoard } from '../self/status';
import { startSelfHttp } from '../self/http';
import { startTracing } from '../self/tracing';
import { lockDataDir } from '../runtime/data-dir-lock';

const VERSION: string = (require('../../../package.json') as { version: string }).version;

function describe(err: unknown): string {
  if (err instanceof ConfigError) return `invalid configuration:\n${err.message}`;
  if (err instanceof AgentError) return err.message;
  return err instanceof Error ? err.message : String(err);
}

export async function runCommand(opts: { configFile: string }): Promise<number> {
  let config: AgentConfig;
  let warnings;
  try {
    ({ config, warnings } = loadConfig(opts.configFile));
  } catch (err) {
    process.stderr.write(`flink-telemetry-agent: ${describe(err)}\n`);
    return 1;
  }
  const logger = createLogger(config.agent.log);
  for (const w of warnings) logger.warn(`${w.file}:${w.line ?? 0}:${w.column ?? 0} ${w.path}: ${w.message}`);

  let lock;
  try {
    lock = lockDataDir(config.agent.data_dir);
  } catch (err) {
    logger.error(describe(err));
    return 1;
  }

  const metrics = new SelfMetrics();
  const status = new StatusBoard();
  const services = { logger, metrics, status };
  let server: Server | undefined;
  const tracing = await startTracing(config.agent.tracing, { 'service.version': VERSION, 'host.name': config.agent.node, 'flink.cluster': config.agent.cluster });
  let agent: Agent | undefined;
  try {
    if (config.agent.http.enabled) {
      const info = { agent: 'flink-telemetry-agent', version: VERSION, node: config.agent.node, cluster: config.agent.cluster, config: opts.configFile };
      server = await startSelfHttp({ listen: config.agent.http.listen, metrics, status, logger, info });
    }
    agent = new Agent(config, services);
    await agent.start();
  } catch (err) {
    logger.error(describe(err));
    await agent?.stop(0).catch(() => undefined);
    server?.close();
    await tracing.shutdown().catch(() => undefined);
    lock.release();
    return 1;
  }

  process.on('unhandledRejection', (reason) => logger.error({ err: describe(reason) }, 'unhandled rejection (kept running)'));

  let reloading: Promise<void> = Promise.resolve();
  const reload = () => {
    reloading = reloading.then(async () => {
      let next: AgentConfig;
      try {
        next = loadConfig(opts.configFile).config;
      } catch (err) {
        logger.error(`SIGHUP: new configuration rejected, the running one stays:\n${describe(err)}`);
        return;
      }
      if (next.agent.data_dir !== config.agent.data_dir || JSON.stringify(next.agent.http) !== JSON.stringify(config.agent.http)) {
        logger.error('SIGHUP: agent.data_dir and agent.http cannot change on reload; restart the agent to apply them. The running configuration stays.');
        return;
      }
      logger.info('SIGHUP: reloading configuration');
      await agent!.stop(config.agent.shutdown_grace);
      status.clear();
      config = next;
      agent = new Agent(config, services);
      try {
        await agent.start();
      } catch (err) {
        logger.error(`SIGHUP: the new configuration failed to start: ${describe(err)}`);
      }
    });
  };
  process.on('SIGHUP', reload);

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        logger.warn(`${signal} again: exiting now; unsent records stay in the disk buffers`);
        process.exit(130);
      }
      stopping = true;
      logger.info(`${signal}: stopping (flushing sinks for up to ${config.agent.shutdown_grace} ms)`);
      void reloading
        .then(() => agent!.stop(config.agent.shutdown_grace))
        .catch((err: unknown) => logger.error({ err: describe(err) }, 'error while stopping'))
        .finally(async () => {
          server?.close();
          await tracing.shutdown().catch(() => undefined);
          lock.release();
          resolve(0);
        });
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}
