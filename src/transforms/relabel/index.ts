// Relabel: rename, drop, set and add labels on samples and attributes on log records.
import type { TelemetryRecord } from '../../model';
import type { Transform, TransformDefinition } from '../types';
import { relabelSchema, type RelabelConfig } from './schema';

/** Applies the operations to a label (or attribute) map, returning a new map; the input is never mutated. */
export function relabel(labels: Record<string, string>, c: RelabelConfig): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) out[c.rename[k] ?? k] = v;
  for (const k of c.drop) delete out[k];
  Object.assign(out, c.set);
  for (const [k, v] of Object.entries(c.add)) if (!(k in out)) out[k] = v;
  return out;
}

export function createRelabel(c: RelabelConfig): Transform {
  const samples = c.apply_to !== 'logs';
  const logs = c.apply_to !== 'samples';
  return {
    // Records are copied, not changed in place: the same record may also flow to a sink that reads the source
    // directly, and it must arrive there unchanged.
    apply: (records: TelemetryRecord[]) =>
      records.map((r) => {
        if (r.kind === 'sample') return samples ? { ...r, labels: relabel(r.labels, c) } : r;
        return logs ? { ...r, attributes: relabel(r.attributes, c) } : r;
      }),
  };
}

export const relabelTransform: TransformDefinition<typeof relabelSchema> = {
  type: 'relabel',
  description: 'Rename, drop, set or add labels of samples and attributes of log records.',
  schema: relabelSchema,
  create: (config) => createRelabel(config),
};
