// The `host` source: node figures from /proc and statfs, each collector independent so a file a container does
// not expose costs that collector only. Devices that disappear (an unplugged interface, an unmounted disk) end
// with stale markers like vanished Flink series.
import { readFile, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { ComponentContext, Counter } from '../../component';
import type { Labels, Sample, TelemetryRecord } from '../../model';
import { seriesKey } from '../../model';
import { agentLabels } from '../shared/agent-labels';
import { fullMatch } from '../shared/regex';
import { StaleTracker } from '../shared/stale-tracker';
import type { Source } from '../types';
import type { Point } from './proc';
import { mountFor, parseDiskstats, parseLoadavg, parseMeminfo, parseMounts, parseNetDev, parseStat } from './proc';
import type { HostConfig } from './schema';

type Collector = HostConfig['collectors'][number];

export class HostSource implements Source {
  private readonly base: Labels;
  private readonly tracker = new StaleTracker();
  private readonly diskExclude: RegExp;
  private readonly netExclude: RegExp | undefined;
  private readonly errors: Counter;
  /** Collectors currently failing, so each failure streak is logged once. */
  private readonly failing = new Set<Collector>();

  constructor(private readonly cfg: HostConfig, private readonly ctx: ComponentContext) {
    this.base = agentLabels(ctx.agent, cfg.labels);
    this.diskExclude = fullMatch(cfg.disk_exclude);
    this.netExclude = cfg.network_exclude === undefined ? undefined : fullMatch(cfg.network_exclude);
    this.errors = ctx.metrics.counter('host_collector_errors_total', 'Host collector rounds that failed (a /proc file or a mount point could not be read).');
  }

  async collect(): Promise<TelemetryRecord[]> {
    const now = Date.now();
    const out: Sample[] = [];
    const results = await Promise.all(this.cfg.collectors.map(async (c) => [c, await this.attempt(c)] as const));
    for (const [collector, points] of results) {
      // A failed collector keeps its series from last round alive (no stale markers): a transient read error
      // must not end every disk series. It is counted and logged instead.
      if (points === undefined) continue;
      const current = new Map<string, Sample>();
      for (const p of points) {
        const labels = { ...p.labels, ...this.base };
        const sample: Sample = { kind: 'sample', name: p.name, labels, value: p.value, timestampMs: now, metricType: p.metricType };
        current.set(seriesKey(p.name, labels), sample);
        out.push(sample);
      }
      out.push(...this.tracker.replace(collector, current, now));
    }
    if (this.failing.size === this.cfg.collectors.length) this.ctx.status.error(`every host collector failed (${[...this.failing].join(', ')}); check proc_path (${this.cfg.proc_path})`);
    else this.ctx.status.ok();
    return out;
  }

  private async attempt(collector: Collector): Promise<Point[] | undefined> {
    try {
      const points = await this.read(collector);
      if (this.failing.delete(collector)) this.ctx.logger.info({ collector }, 'host collector works again');
      return points;
    } catch (err) {
      this.errors.inc();
      if (!this.failing.has(collector)) {
        this.failing.add(collector);
        this.ctx.logger.warn({ collector, err: (err as Error).message }, `host collector "${collector}" failed; its series are skipped until it works (remove it from collectors if this host has no such data)`);
      }
      return undefined;
    }
  }

  private async read(collector: Collector): Promise<Point[]> {
    const proc = (file: string): Promise<string> => readFile(join(this.cfg.proc_path, file), 'utf8');
    switch (collector) {
      case 'cpu': return parseStat(await proc('stat'));
      case 'memory': return parseMeminfo(await proc('meminfo'));
      case 'load': return parseLoadavg(await proc('loadavg'));
      case 'diskstats': return parseDiskstats(await proc('diskstats'), this.diskExclude);
      case 'netdev': return parseNetDev(await proc('net/dev'), this.netExclude);
      case 'filesystem': return this.filesystems(parseMounts(await proc('mounts')));
      default: return collector satisfies never;
    }
  }

  /** statfs of each configured mount point → node_filesystem_*{device,fstype,mountpoint}. */
  private async filesystems(mounts: ReturnType<typeof parseMounts>): Promise<Point[]> {
    const out: Point[] = [];
    for (const path of this.cfg.mount_points) {
      const st = await statfs(path);
      const m = mountFor(path, mounts);
      const labels = { device: m?.device ?? 'unknown', fstype: m?.fstype ?? 'unknown', mountpoint: path };
      const gauge = (name: string, value: number): void => {
        out.push({ name, labels, value, metricType: 'gauge' });
      };
      gauge('node_filesystem_size_bytes', st.blocks * st.bsize);
      gauge('node_filesystem_free_bytes', st.bfree * st.bsize);
      gauge('node_filesystem_avail_bytes', st.bavail * st.bsize);
      gauge('node_filesystem_files', st.files);
      gauge('node_filesystem_files_free', st.ffree);
    }
    return out;
  }
}
