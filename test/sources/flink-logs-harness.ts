// Test doubles for a streaming source's context: an in-memory (or JSON-file) state store and an emit that records
// what it got. Not a stand-in for a server: the agent's own SourceContext is what these imitate.
import { mkdtempSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Counter, Gauge } from '../../src/component';
import type { TelemetryRecord } from '../../src/model';
import type { SourceContext, SourceState } from '../../src/sources/types';

/** Minimal JSON state file written atomically (tmp + rename), like the agent's SourceStateStore. */
export class JsonFileState implements SourceState {
  private data: Record<string, unknown>;
  constructor(private readonly file?: string) {
    this.data = file && existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  }
  get<T>(key: string): T | undefined {
    return this.data[key] as T | undefined;
  }
  async set(key: string, value: unknown): Promise<void> {
    this.data[key] = value;
    this.persist();
  }
  async delete(key: string): Promise<void> {
    delete this.data[key];
    this.persist();
  }
  keys(): string[] {
    return Object.keys(this.data);
  }
  private persist(): void {
    if (!this.file) return;
    writeFileSync(this.file + '.tmp', JSON.stringify(this.data));
    renameSync(this.file + '.tmp', this.file);
  }
}

export interface TestContext extends SourceContext {
  emitted: TelemetryRecord[];
  counters: Record<string, number>;
  errors: string[];
  controller: AbortController;
}

export function testContext(opts: { state?: SourceState; emit?: (r: TelemetryRecord[]) => Promise<void>; node?: string } = {}): TestContext {
  const controller = new AbortController();
  const counters: Record<string, number> = {};
  const emitted: TelemetryRecord[] = [];
  const errors: string[] = [];
  const ctx: TestContext = {
    name: 'logs',
    agent: { cluster: 'test', node: opts.node ?? 'node-1', labels: {}, dataDir: tmpdir() },
    logger: pino({ level: 'silent' }),
    metrics: {
      counter: (name: string): Counter => ({ inc: (n = 1) => { counters[name] = (counters[name] ?? 0) + n; } }),
      gauge: (name: string): Gauge => ({ set: (v) => { counters[name] = v; } }),
    },
    status: { error: (m) => errors.push(m), ok: () => undefined },
    state: opts.state ?? new JsonFileState(),
    signal: controller.signal,
    emit: opts.emit ?? (async (r) => { emitted.push(...r); }),
    emitted, counters, errors, controller,
  };
  return ctx;
}

export const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));

/** Polls until `fn` is truthy or the deadline passes (no fixed sleeps in tests). */
export async function until<T>(fn: () => T | Promise<T>, ms: number, what: string): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
