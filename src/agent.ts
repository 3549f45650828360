// Wires a validated config into running components: sinks (each behind its SinkRunner), transforms, the Router,
// and sources (each behind its SourceDriver). Start order is sinks → router → sources, so nothing is emitted
// before someone can take it; stop order is the reverse, because a source stopped first cannot emit into a sink
// that has already closed its buffer.
import { scheduleCron, type ScheduledTask } from './runtime/cron';
import type { Logger } from 'pino';
import type { AgentConfig, ComponentConfig, WiredComponentConfig } from './config';
import type { ComponentContext } from './component';
import type { TelemetryRecord } from './model';
import { Router } from './pipeline/router';
import { SinkRunner } from './pipeline/sink-runner';
import { PipelineMetrics } from './pipeline/metrics';
import { SourceStateStore } from './pipeline/source-state';
import type { SinkCommonConfig } from './pipeline/sink-options';
import { SourceDriver } from './runtime/source-driver';
import { findDefinition, buildContext, type AgentServices } from './runtime/components';
import { sinkDefinitions } from './sinks/registry';
import type { Sink } from './sinks/types';
import { sourceDefinitions } from './sources/registry';
import { transformDefinitions } from './transforms/registry';
import type { Transform } from './transforms/types';
import { inSpan } from './self/tracing';

export { collectOnce, checkComponents } from './runtime/dry-run';
export type { OnceResult, CheckItem } from './runtime/dry-run';

/** Retention and other upkeep run hourly, at a minute past, on the same scheduler as cron sources. */
const HOUSEKEEPING_CRON = '0 7 * * * *';

export class Agent {
  private readonly abort = new AbortController();
  private readonly runners = new Map<string, SinkRunner>();
  private readonly drivers: SourceDriver[] = [];
  private readonly tasks: ScheduledTask[] = [];

  constructor(
    private readonly config: AgentConfig,
    private readonly services: AgentServices,
  ) {}

  get logger(): Logger {
    return this.services.logger;
  }

  async start(): Promise<void> {
    const { config, services } = this;
    const dataDir = config.agent.data_dir;

    for (const [name, cfg] of Object.entries(config.sinks)) {
      const ctx = buildContext(services, config, 'sink', name, cfg.type);
      const sink = traced(findDefinition(sinkDefinitions, 'sink', name, cfg.type).create(cfg, ctx), name, cfg.type);
      const runner = new SinkRunner({
        name,
        sink,
        config: cfg as unknown as SinkCommonConfig,
        dataDir,
        logger: ctx.logger,
        metrics: PipelineMetrics.for(services.metrics.registry),
        status: ctx.status,
      });
      await runner.start();
      services.status.addDetails('sink', name, () => ({ ...runner.status() }));
      this.runners.set(name, runner);
      if (sink.housekeeping) this.scheduleHousekeeping(name, sink, ctx);
    }

    const transforms: Record<string, { inputs: string[]; transform: Transform }> = {};
    for (const [name, cfg] of Object.entries(config.transforms)) {
      const ctx = buildContext(services, config, 'transform', name, cfg.type);
      transforms[name] = { inputs: cfg.inputs, transform: findDefinition(transformDefinitions, 'transform', name, cfg.type).create(cfg, ctx) };
      ctx.status.ok();
    }
    const router = new Router({
      sources: Object.keys(config.sources),
      transforms,
      sinks: Object.fromEntries(Object.entries(config.sinks).map(([name, cfg]: [string, WiredComponentConfig]) => [name, { inputs: cfg.inputs, runner: this.runners.get(name)! }])),
    });

    for (const [name, cfg] of Object.entries(config.sources)) await this.startSource(name, cfg, router);
    this.logger.info(
      { sources: Object.keys(config.sources), transforms: Object.keys(config.transforms), sinks: Object.keys(config.sinks), data_dir: dataDir },
      'agent started',
    );
  }

  /**
   * Stops sources first (no new records), then lets every sink flush for up to `graceMs`; whatever is left stays
   * in the disk buffers and is sent after the next start.
   */
  async stop(graceMs: number): Promise<void> {
    this.abort.abort();
    for (const t of this.tasks) await t.stop();
    await Promise.allSettled(this.drivers.map((d) => d.stop()));
    await Promise.allSettled([...this.runners.values()].map((r) => r.stop(graceMs)));
    this.logger.info('agent stopped');
  }

  private async startSource(name: string, cfg: ComponentConfig, router: Router): Promise<void> {
    const { config, services } = this;
    const base = buildContext(services, config, 'source', name, cfg.type);
    const state = await SourceStateStore.open(config.agent.data_dir, name, base.logger);
    const signal = this.abort.signal;
    // Streaming sources (files, journald) are paced by their sinks; polled ones never wait (see EmitOptions).
    let paced = false;
    const emit = (records: TelemetryRecord[]) => router.emit(name, records, { paced });
    const source = findDefinition(sourceDefinitions, 'source', name, cfg.type).create(cfg, { ...base, emit, state, signal });
    paced = source.run !== undefined;
    const driver = new SourceDriver({
      name,
      type: cfg.type,
      source,
      intervalMs: cfg['interval'] as number,
      ...(typeof cfg['cron'] === 'string' ? { cron: cfg['cron'] } : {}),
      emit,
      logger: base.logger,
      metrics: base.metrics,
      status: base.status,
      signal,
    });
    driver.start();
    this.drivers.push(driver);
  }

  private scheduleHousekeeping(name: string, sink: Sink, ctx: ComponentContext): void {
    const run = () =>
      sink.housekeeping!(this.abort.signal).catch((err: unknown) =>
        ctx.logger.warn({ sink: name, err: err instanceof Error ? err.message : String(err) }, `sink ${name}: housekeeping (retention) failed; next try in an hour`),
      );
    this.tasks.push(scheduleCron(HOUSEKEEPING_CRON, run, `housekeeping:${name}`));
    // A first pass shortly after start, so retention also holds on agents restarted more often than hourly.
    const first = setTimeout(run, 60_000);
    first.unref();
    this.abort.signal.addEventListener('abort', () => clearTimeout(first), { once: true });
  }
}

/** Wraps `send` in a trace span (one per sink flush); with tracing off the span is a no-op. */
function traced(sink: Sink, name: string, type: string): Sink {
  const send = sink.send.bind(sink);
  sink.send = (records, options) =>
    inSpan('sink.send', { 'sink.name': name, 'sink.type': type, records: records.length, attempt: options.attempt }, () => send(records, options));
  return sink;
}
