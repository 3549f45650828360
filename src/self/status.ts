// What /status shows and /readyz decides on: per component, its state and last error. Components report through
// the ComponentStatus handed to them; the pipeline's SinkRunners add their own view (queue, retries) on top.
import type { ComponentStatus } from '../component';
import type { ComponentKind } from './metrics';

export interface ComponentState {
  kind: ComponentKind;
  name: string;
  type: string;
  /** `ok` after a success; `error` while the last attempt failed; `starting` before either. */
  state: 'starting' | 'ok' | 'error';
  lastError?: string;
  lastErrorAt?: string;
  lastSuccessAt?: string;
}

/** Extra, live details of a component (e.g. a SinkRunner's queue depth and counters). */
export type DetailProvider = () => Record<string, unknown>;

export class StatusBoard {
  private readonly components = new Map<string, ComponentState>();
  private readonly details = new Map<string, DetailProvider>();

  register(kind: ComponentKind, name: string, type: string): ComponentStatus {
    const key = `${kind}/${name}`;
    const entry: ComponentState = { kind, name, type, state: 'starting' };
    this.components.set(key, entry);
    return {
      error: (message: string) => {
        entry.state = 'error';
        entry.lastError = message;
        entry.lastErrorAt = new Date().toISOString();
      },
      ok: () => {
        entry.state = 'ok';
        entry.lastSuccessAt = new Date().toISOString();
      },
    };
  }

  addDetails(kind: ComponentKind, name: string, provider: DetailProvider): void {
    this.details.set(`${kind}/${name}`, provider);
  }

  clear(): void {
    this.components.clear();
    this.details.clear();
  }

  snapshot(): Array<ComponentState & { details?: Record<string, unknown> }> {
    return [...this.components.entries()].map(([key, c]) => {
      const provider = this.details.get(key);
      return provider ? { ...c, details: provider() } : { ...c };
    });
  }

  /** Ready when every source has collected at least once and no component is currently failing. */
  readiness(): { ready: boolean; reasons: string[] } {
    const reasons: string[] = [];
    for (const c of this.components.values()) {
      if (c.state === 'error') reasons.push(`${c.kind} ${c.name}: ${c.lastError ?? 'failing'}`);
      else if (c.kind === 'source' && c.state === 'starting') reasons.push(`source ${c.name}: has not collected yet`);
    }
    return { ready: reasons.length === 0, reasons };
  }
}
