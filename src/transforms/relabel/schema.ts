import { z } from 'zod';

const labelMap = z.record(z.string().min(1), z.string());

export const relabelSchema = z.strictObject({
  type: z.literal('relabel'),
  inputs: z.array(z.string()).min(1).describe('Names of the sources or transforms whose records this transform reads.').meta({ examples: [['flink_prometheus']] }),
  rename: z
    .record(z.string().min(1), z.string().min(1))
    .default({})
    .describe('Rename labels (log attributes): old name → new name. Applied first.')
    .meta({ examples: [{ tm_id: 'taskmanager_id' }] }),
  drop: z
    .array(z.string().min(1))
    .default([])
    .describe('Remove these labels (log attributes), e.g. high-cardinality ones. Applied after `rename`.')
    .meta({ examples: [['task_attempt_id']] }),
  set: labelMap
    .default({})
    .describe('Set these labels (log attributes), replacing any existing value. Applied after `drop`.')
    .meta({ examples: [{ env: 'prod' }] }),
  add: labelMap
    .default({})
    .describe('Add these labels (log attributes) only where the record does not have them yet. Applied last.')
    .meta({ examples: [{ team: 'streaming' }] }),
  apply_to: z
    .enum(['all', 'samples', 'logs'])
    .default('all')
    .describe('Which records to change: samples (their labels), logs (their attributes), or all.'),
});

export type RelabelConfig = z.output<typeof relabelSchema>;
