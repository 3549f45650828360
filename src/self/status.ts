// What /status shows and /readyz decides on: per component, its state and last error. Components report through
// the ComponentStatus handed to them; the pipeline's SinkRunners add their own view (queue, retries) on top.
import type { ComponentStatus } from '../component';
import type { ComponentKind } from './metrics';

export interface ComponentState {
  kind: ComponentKind;
  name: string;
  type: string;
  /**
   * `ok` after a success; `error` while the last attempt failed; `starting` before either. A sink shows its
   * runner's own view instead: `retrying` after a failure, `failing` after several in a row.
   */
  state: 'starting' | 'ok' | 'error' | 'retrying' | 'failing';
  lastError?: string;
  lastErrorAt?: string;
  lastSuccessAt?: string;
}

/**
 * Extra, live details of a component (e.g. a SinkRunner's queue depth and counters). When they carry a `state`,
 * it replaces the component's own: the runner knows whether a sink is merely retrying or really failing.
 */
export type DetailProvider = () => { state?: ComponentState['state'] } & Record<string, unknown>;

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
      if (!provider) return { ...c };
      const details = provider();
      return { ...c, state: details.state ?? c.state, details };
    });
  }

  /**
   * Ready when every source has collected at least once (or, streaming, is running), no source's last attempt
   * failed and no sink is failing. A sink that is only retrying stays ready: its buffer holds the data meanwhile.
   */
  readiness(): { ready: boolean; reasons: string[] } {
    const reasons: string[] = [];
    for (const c of this.snapshot()) {
      if (c.state === 'error' || c.state === 'failing') reasons.push(`${c.kind} ${c.name}: ${c.lastError ?? c.state}`);
      else if (c.kind === 'source' && c.state === 'starting') reasons.push(`source ${c.name}: has not collected yet`);
    }
    return { ready: reasons.length === 0, reasons };
  }
}
