import { z } from 'zod';

/** A regular expression matched against the whole value (as in Prometheus relabeling). */
const regex = z.string().superRefine((s, ctx) => {
  try {
    new RegExp(s);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(s)} is not a valid regular expression (${(err as Error).message})` });
  }
});

export const filterSchema = z.strictObject({
  type: z.literal('filter'),
  inputs: z.array(z.string()).min(1).describe('Names of the sources or transforms whose records this transform reads.').meta({ examples: [['flink_logs']] }),
  metrics: z
    .strictObject({
      keep: z
        .array(regex)
        .default([])
        .describe('Keep only samples whose name fully matches one of these regular expressions; empty keeps all.')
        .meta({ examples: [['flink_jobmanager_.*', 'flink_taskmanager_job_task_.*']] }),
      drop: z
        .array(regex)
        .default([])
        .describe('Drop samples whose name fully matches one of these regular expressions (checked after `keep`).')
        .meta({ examples: [['.*_latency']] }),
    })
    .prefault({})
    .describe('Which samples pass.'),
  logs: z
    .strictObject({
      min_level: z
        .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal'])
        .default('trace')
        .describe('Drop log records below this level.'),
      keep_loggers: z
        .array(regex)
        .default([])
        .describe('Keep only log records whose logger fully matches one of these regular expressions; empty keeps all.')
        .meta({ examples: [['org\\.apache\\.flink\\..*']] }),
      drop_loggers: z
        .array(regex)
        .default([])
        .describe('Drop log records whose logger fully matches one of these regular expressions (checked after `keep_loggers`).')
        .meta({ examples: [['org\\.apache\\.kafka\\.clients\\.consumer\\..*']] }),
    })
    .prefault({})
    .describe('Which log records pass. Records without a logger match as the empty string.'),
});

export type FilterConfig = z.output<typeof filterSchema>;
