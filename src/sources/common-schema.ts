// Options every source has. Spread `sourceCommonShape` into a source's `z.strictObject({...})`.
import { z } from 'zod';
import { duration } from '../config/units';
import { isValidCron } from '../runtime/cron';

export const sourceCommonShape = {
  interval: duration()
    .prefault('15s')
    .describe('How often a polled source collects. Ignored by streaming sources (logs, journald).'),
  cron: z
    .string()
    .refine(isValidCron, { message: 'not a cron expression: 5 fields (minute hour day month weekday) or 6 with seconds first, e.g. "*/10 * * * * *"' })
    .optional()
    .describe('Cron expression (node-cron, seconds allowed: "*/10 * * * * *") used instead of `interval`.'),
  labels: z
    .record(z.string(), z.string())
    .prefault({})
    .describe('Extra labels added to every sample and log record of this source.'),
};
