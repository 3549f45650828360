import { z } from 'zod';
import { duration } from '../../config/units';
import { sourceCommonShape } from '../common-schema';
import { isValidTimeZone } from '../flink-logs/timezone';

export const journaldSchema = z.strictObject({
  type: z.literal('journald').describe('Follows the systemd journal through `journalctl -o json -f`, re-joins Flink stack traces, resumes from the acknowledged cursor.'),
  ...sourceCommonShape,
  units: z.array(z.string().min(1)).default([])
    .describe('systemd units to read (`journalctl -u`). Empty: every entry of the journal.')
    .meta({ examples: [['flink-jobmanager.service', 'flink-taskmanager.service']] }),
  directory: z.string().min(1).optional().describe('Read the journal files in this directory (`journalctl --directory`) instead of the system journal.'),
  files: z.array(z.string().min(1)).optional().describe('Read these journal files (`journalctl --file`) instead of the system journal.'),
  start_at: z.enum(['beginning', 'end']).default('end')
    .describe('Where to start when no cursor is saved: the oldest entry kept (`beginning`) or only new entries (`end`).'),
  since: z.string().min(1).optional()
    .describe('With no saved cursor, start at this time instead (`journalctl --since`, e.g. "-1h" or "2024-05-01 12:00:00").'),
  journalctl_path: z.string().min(1).default('journalctl').describe('The journalctl binary.'),
  pattern: z.string().min(1).optional().describe('Custom layout of the messages, as in `flink_logs.pattern`. Default: Flink\'s log4j layout.'),
  timezone: z.string().refine(isValidTimeZone, { message: 'not an IANA time zone name (e.g. Europe/Berlin, UTC)' }).optional()
    .describe('IANA zone of the timestamps Flink writes into its messages. Default: the agent host\'s zone.'),
  multiline_timeout: duration().prefault('1s').describe('A record whose continuation entries stopped arriving for this long is sent.'),
  max_multiline_lines: z.number().int().positive().default(1000).describe('Most continuation lines joined into one record; more are dropped and counted.'),
  batch_max_records: z.number().int().positive().default(1000).describe('Records handed to the pipeline in one batch at most.'),
  batch_max_wait: duration().prefault('200ms').describe('Longest time a record waits for its batch to fill.'),
  restart_delay: duration().prefault('5s').describe('Wait before starting journalctl again after it exited or failed.'),
});

export type JournaldConfig = z.output<typeof journaldSchema>;
