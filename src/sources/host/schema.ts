// Options of the `host` source: which node figures to collect and where /proc is.
import { z } from 'zod';
import { sourceCommonShape } from '../common-schema';
import { regexString } from '../shared/regex';

export const HOST_COLLECTORS = ['cpu', 'memory', 'load', 'filesystem', 'diskstats', 'netdev'] as const;

export const hostSchema = z.strictObject({
  type: z.literal('host'),
  ...sourceCommonShape,
  collectors: z
    .array(z.enum(HOST_COLLECTORS))
    .min(1)
    .default([...HOST_COLLECTORS])
    .describe('What to collect: cpu (/proc/stat), memory (/proc/meminfo), load (/proc/loadavg), filesystem (statfs of mount_points), diskstats (/proc/diskstats), netdev (/proc/net/dev).'),
  proc_path: z
    .string()
    .min(1)
    .default('/proc')
    .describe("Where the host's /proc is mounted; in a container that is usually a bind mount such as /host/proc."),
  mount_points: z
    .array(z.string().startsWith('/'))
    .min(1)
    .default(['/'])
    .describe('Paths whose file system size and free space are reported (statfs); typically / and the disk holding Flink state and checkpoints.'),
  disk_exclude: regexString()
    .default('^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\\d+n\\d+p)\\d+$')
    .describe("Block devices (full-match regex on the name) left out of diskstats; the default, node_exporter's, skips partitions, loop and ram devices."),
  network_exclude: regexString()
    .optional()
    .describe('Network devices (full-match regex on the name) left out of netdev, e.g. "lo|veth.*".')
    .meta({ examples: ['lo|veth.*'] }),
});

export type HostConfig = z.output<typeof hostSchema>;
