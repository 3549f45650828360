// The CLI's dry runs. `once` builds every source (or one), collects one round and returns it, nothing sent and
// nothing committed. `check` builds every component and, unless offline, reaches each endpoint one at a time —
// one at a time because then each error plainly belongs to its component (as `vector validate` does).
import type { Logger } from 'pino';
import type { AgentConfig } from '../config';
import type { TelemetryRecord } from '../model';
import { SelfMetrics } from '../self/metrics';
import { StatusBoard } from '../self/status';
import { sinkDefinitions } from '../sinks/registry';
import type { Sink } from '../sinks/types';
import { sourceDefinitions } from '../sources/registry';
import type { Source, SourceState } from '../sources/types';
import { transformDefinitions } from '../transforms/registry';
import { buildContext, findDefinition, type AgentServices } from './components';

export interface OnceResult {
  source: string;
  type: string;
  records: TelemetryRecord[];
  error?: string;
}

export interface CheckItem {
  stage: 'build' | 'reach';
  kind: 'source' | 'sink' | 'transform';
  name: string;
  status: 'ok' | 'warn' | 'fail';
  message: string;
}

const REACH_TIMEOUT_MS = 10_000;

/** A state store that remembers nothing: dry runs must not move the real offsets. */
class ThrowawayState implements SourceState {
  private readonly values = new Map<string, unknown>();
  get<T>(key: string): T | undefined {
    return this.values.get(key) as T | undefined;
  }
  async set(key: string, value: unknown): Promise<void> {
    this.values.set(key, value);
  }
  async delete(key: string): Promise<void> {
    this.values.delete(key);
  }
  keys(): string[] {
    return [...this.values.keys()];
  }
}

function services(logger: Logger): AgentServices {
  return { logger, metrics: new SelfMetrics(), status: new StatusBoard() };
}

function buildSource(svc: AgentServices, config: AgentConfig, name: string, signal: AbortSignal): Source {
  const cfg = config.sources[name]!;
  const ctx = buildContext(svc, config, 'source', name, cfg.type);
  const emit = async () => {
    throw new Error('dry run: nothing is sent');
  };
  return findDefinition(sourceDefinitions, 'source', name, cfg.type).create(cfg, { ...ctx, emit, state: new ThrowawayState(), signal });
}

async function oneRound(source: Source, signal: AbortSignal): Promise<TelemetryRecord[]> {
  if (source.collect) return source.collect(signal);
  if (source.preview) return source.preview(signal);
  return [];
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export async function collectOnce(config: AgentConfig, opts: { source?: string; signal: AbortSignal; logger: Logger }): Promise<OnceResult[]> {
  const names = opts.source ? [opts.source] : Object.keys(config.sources);
  if (opts.source && !config.sources[opts.source]) {
    throw new Error(`no source named "${opts.source}" in the config (sources: ${Object.keys(config.sources).join(', ')})`);
  }
  const svc = services(opts.logger);
  const results: OnceResult[] = [];
  for (const name of names) {
    const type = config.sources[name]!.type;
    let source: Source | undefined;
    try {
      source = buildSource(svc, config, name, opts.signal);
      results.push({ source: name, type, records: await oneRound(source, opts.signal) });
    } catch (err) {
      results.push({ source: name, type, records: [], error: message(err) });
    } finally {
      await source?.close?.().catch(() => undefined);
    }
  }
  return results;
}

/** Builds every component, then (unless offline) reaches each in turn. `onItem` hears each result as it is known:
 *  reaching an endpoint can take seconds, and `check` prints as it goes so a slow one is plain to see. */
export async function checkComponents(config: AgentConfig, opts: { offline: boolean; logger: Logger; onItem?: (item: CheckItem) => void }): Promise<CheckItem[]> {
  const svc = services(opts.logger);
  const items: CheckItem[] = [];
  const add = (item: CheckItem): void => {
    items.push(item);
    opts.onItem?.(item);
  };
  const signal = AbortSignal.timeout(REACH_TIMEOUT_MS * (Object.keys(config.sources).length + Object.keys(config.sinks).length + 1));
  const sources = new Map<string, Source>();
  const sinks = new Map<string, Sink>();

  for (const name of Object.keys(config.sources)) {
    try {
      sources.set(name, buildSource(svc, config, name, signal));
      add({ stage: 'build', kind: 'source', name, status: 'ok', message: `${config.sources[name]!.type} source built` });
    } catch (err) {
      add({ stage: 'build', kind: 'source', name, status: 'fail', message: message(err) });
    }
  }
  for (const [name, cfg] of Object.entries(config.transforms)) {
    try {
      findDefinition(transformDefinitions, 'transform', name, cfg.type).create(cfg, buildContext(svc, config, 'transform', name, cfg.type));
      add({ stage: 'build', kind: 'transform', name, status: 'ok', message: `${cfg.type} transform built` });
    } catch (err) {
      add({ stage: 'build', kind: 'transform', name, status: 'fail', message: message(err) });
    }
  }
  for (const [name, cfg] of Object.entries(config.sinks)) {
    try {
      sinks.set(name, findDefinition(sinkDefinitions, 'sink', name, cfg.type).create(cfg, buildContext(svc, config, 'sink', name, cfg.type)));
      add({ stage: 'build', kind: 'sink', name, status: 'ok', message: `${cfg.type} sink built` });
    } catch (err) {
      add({ stage: 'build', kind: 'sink', name, status: 'fail', message: message(err) });
    }
  }

  if (!opts.offline) {
    for (const [name, source] of sources) {
      try {
        const records = await oneRound(source, AbortSignal.any([signal, AbortSignal.timeout(REACH_TIMEOUT_MS)]));
        add({ stage: 'reach', kind: 'source', name, status: records.length > 0 ? 'ok' : 'warn', message: `collected ${records.length} record${records.length === 1 ? '' : 's'}` });
      } catch (err) {
        add({ stage: 'reach', kind: 'source', name, status: 'fail', message: message(err) });
      }
    }
    for (const [name, sink] of sinks) {
      if (!sink.healthcheck) {
        add({ stage: 'reach', kind: 'sink', name, status: 'ok', message: 'nothing to reach' });
        continue;
      }
      try {
        await sink.healthcheck(AbortSignal.any([signal, AbortSignal.timeout(REACH_TIMEOUT_MS)]));
        add({ stage: 'reach', kind: 'sink', name, status: 'ok', message: 'reachable' });
      } catch (err) {
        add({ stage: 'reach', kind: 'sink', name, status: 'fail', message: message(err) });
      }
    }
  }
  await Promise.allSettled([...sources.values()].map((s) => s.close?.()));
  await Promise.allSettled([...sinks.values()].map((s) => s.close?.()));
  return items;
}
