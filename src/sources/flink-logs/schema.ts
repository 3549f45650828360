import { z } from 'zod';
import { duration, size } from '../../config/units';
import { sourceCommonShape } from '../common-schema';
import { isValidTimeZone } from './timezone';

export const flinkLogsSchema = z.strictObject({
  type: z.literal('flink_logs').describe('Tails Flink log files (log4j2 layout), joins stack traces, resumes from acknowledged offsets.'),
  ...sourceCommonShape,
  paths: z.array(z.string().min(1)).min(1).default(['/opt/flink/log/*.log'])
    .describe('Glob patterns of files to follow. `.log` files are parsed as Flink log4j lines (stream `log`); `.out` files (stdout/stderr, print() sinks) become one record per line (stream `out`). Do not list rotated names (`*.log.1`): rotation is followed by inode.')
    .meta({ examples: [['/opt/flink/log/*.log', '/opt/flink/log/*.out']] }),
  scan_interval: duration().prefault('5s').describe('How often the globs are expanded again to find new and rotated files (a file-system watch only wakes the reader earlier).'),
  poll_interval: duration()
    .prefault('1s')
    .describe('How often an idle file is checked for new bytes. A file-system watch wakes the reader sooner when a followed file changes; the poll covers file systems without watch events (NFS, overlay).'),
  start_at: z.enum(['beginning', 'end']).default('beginning')
    .describe('Where to start in a file found at start-up that has no saved offset. Files that appear later are always read from their beginning.'),
  pattern: z.string().min(1).optional()
    .describe('A custom layout: a log4j pattern (%d{…} %p %c %x %t %m %n, padding allowed) or, starting with `^`, a regex with named groups timestamp, level, logger, thread, ndc, message. Default: Flink\'s `%d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %x - %m%n`, with or without the `[]` NDC.')
    .meta({ examples: ['%d{yyyy-MM-dd HH:mm:ss,SSS} [%t] %-5p %c %x - %m%n'] }),
  timezone: z.string().refine(isValidTimeZone, { message: 'not an IANA time zone name (e.g. Europe/Berlin, UTC)' }).optional()
    .describe('IANA time zone the Flink JVM writes its (zone-less) timestamps in. Default: the zone of the agent\'s host.')
    .meta({ examples: ['Europe/Berlin', 'UTC'] }),
  multiline_timeout: duration().prefault('1s')
    .describe('A record whose lines stopped arriving for this long is sent even though no next record started (the last stack trace of a quiet file).'),
  max_line_bytes: size().prefault('64KiB').describe('Longer lines are cut to this many bytes (counted in `log_lines_truncated_total`).'),
  max_multiline_lines: z.number().int().positive().default(1000)
    .describe('Most continuation lines joined into one record; further lines are dropped and counted (`log_multiline_lines_dropped_total`).'),
  batch_max_records: z.number().int().positive().default(1000).describe('Records handed to the pipeline in one batch at most.'),
  batch_max_wait: duration().prefault('200ms').describe('Longest time a record waits for its batch to fill.'),
  fingerprint_bytes: z.number().int().min(16).max(4096).default(256)
    .describe('The first line of a file, up to this many bytes, is hashed into the file identity (with device and inode) so a reused inode is not mistaken for a known file.'),
  preview_lines: z.number().int().positive().default(20).describe('Records per file shown by `flink-telemetry-agent once`.'),
});

export type FlinkLogsConfig = z.output<typeof flinkLogsSchema>;
