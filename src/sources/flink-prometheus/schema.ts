// Options of the `flink_prometheus` source: where the reporters are, how long a scrape may take and how much
// of what they expose reaches the sinks.
import { z } from 'zod';
import { duration } from '../../config/units';
import { sourceCommonShape } from '../common-schema';
import { regexString } from '../shared/regex';

/** `9249-9260` or `9249` → [first, last]; undefined when the text is not a port range. */
export function parsePortRange(text: string): [number, number] | undefined {
  const m = /^\s*(\d{1,5})\s*(?:-\s*(\d{1,5})\s*)?$/.exec(text);
  if (!m) return undefined;
  const first = Number(m[1]);
  const last = m[2] === undefined ? first : Number(m[2]);
  return first >= 1 && first <= last && last <= 65535 ? [first, last] : undefined;
}

const regexList = (what: string) => z.array(regexString()).default([]).describe(what);

export const flinkPrometheusSchema = z
  .strictObject({
    type: z.literal('flink_prometheus'),
    ...sourceCommonShape,
    urls: z
      .array(z.url())
      .default([])
      .describe('Reporter endpoints always scraped, whether they answer or not (`up` is 0 when they do not).')
      .meta({ examples: [['http://10.0.0.5:9249/metrics']] }),
    scan: z
      .boolean()
      .default(true)
      .describe('Probe `ports` on `host` (or on the hosts found through `discover_from`) every round; a closed port is simply not a target.'),
    host: z.string().min(1).default('127.0.0.1').describe('Host whose `ports` are probed when `discover_from` is not set.'),
    ports: z
      .string()
      .default('9249-9260')
      .refine((v) => parsePortRange(v) !== undefined, 'write a port or a range such as 9249-9260')
      .describe("Port range of Flink's reporters (`metrics.reporter.prom.port`); each JM/TM process takes the first free port."),
    discover_from: z
      .url()
      .optional()
      .describe("JobManager REST URL; the TaskManager hosts listed by `/taskmanagers` (plus the JobManager's host) are probed on `ports` instead of `host`.")
      .meta({ examples: ['http://127.0.0.1:8081'] }),
    path: z.string().startsWith('/').default('/metrics').describe('HTTP path of the exposition on probed ports.'),
    scrape_timeout: duration()
      .optional()
      .describe('Time limit of one scrape (and of the discovery call); default 80% of `interval`. Must be shorter than `interval`.')
      .meta({ examples: ['5s'] }),
    drop_labels: z
      .array(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'a Prometheus label name (letters, digits and _, not starting with a digit)'))
      .default(['task_attempt_id', 'task_attempt_num'])
      .describe('Labels removed from every series: the defaults change on every task restart and would start new series each time. `[]` keeps all.'),
    include: regexList('Keep only metrics whose name fully matches one of these regular expressions (empty: keep all).'),
    exclude: regexList('Drop metrics whose name fully matches one of these regular expressions (applied after `include`).'),
    series_limit: z
      .number()
      .int()
      .positive()
      .default(20000)
      .describe('Most series this source emits per round; series beyond it that were not seen before are dropped and counted.'),
    concurrency: z.number().int().positive().default(16).describe('Most scrapes (and port probes) in flight at once.'),
  })
  .superRefine((cfg, ctx) => {
    if (cfg.scrape_timeout !== undefined && cfg.scrape_timeout >= cfg.interval) {
      ctx.addIssue({ code: 'custom', path: ['scrape_timeout'], message: `must be shorter than interval (${cfg.interval} ms), or a slow round overlaps the next` });
    }
    if (!cfg.scan && cfg.urls.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['urls'], message: 'with scan: false, list at least one reporter URL' });
    }
  });

export type FlinkPrometheusConfig = z.output<typeof flinkPrometheusSchema>;
