// Parsers for the /proc files the host source reads, named like node_exporter's series so the usual node
// dashboards and alerts work unchanged. Pure functions: text in, points out (labels without the agent's).
import type { Labels, MetricType } from '../../model';

export interface Point {
  name: string;
  labels: Labels;
  value: number;
  metricType: MetricType;
}

/** Clock ticks per second of /proc/stat. Linux fixes USER_HZ at 100 for userspace on every architecture we run on. */
const USER_HZ = 100;
const CPU_MODES = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const;

/** /proc/stat → node_cpu_seconds_total{cpu,mode}, context switches, forks, boot time, running/blocked processes. */
export function parseStat(text: string): Point[] {
  const out: Point[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    const key = f[0] ?? '';
    if (key.startsWith('cpu') && key.length > 3) {
      const cpu = key.slice(3);
      CPU_MODES.forEach((mode, i) => {
        const ticks = Number(f[i + 1]);
        if (Number.isFinite(ticks)) out.push({ name: 'node_cpu_seconds_total', labels: { cpu, mode }, value: ticks / USER_HZ, metricType: 'counter' });
      });
    } else if (key === 'ctxt') out.push(point('node_context_switches_total', f[1], 'counter'));
    else if (key === 'processes') out.push(point('node_forks_total', f[1], 'counter'));
    else if (key === 'btime') out.push(point('node_boot_time_seconds', f[1], 'gauge'));
    else if (key === 'procs_running') out.push(point('node_procs_running', f[1], 'gauge'));
    else if (key === 'procs_blocked') out.push(point('node_procs_blocked', f[1], 'gauge'));
  }
  return out;
}

/** /proc/meminfo → node_memory_<Field>_bytes (kB × 1024), or node_memory_<Field> for counts (HugePages_Total). */
export function parseMeminfo(text: string): Point[] {
  const out: Point[] = [];
  for (const line of text.split('\n')) {
    const m = /^([^:]+):\s+(\d+)(?:\s+(kB))?\s*$/.exec(line);
    if (!m) continue;
    // node_exporter's spelling: `Active(anon)` → `Active_anon`.
    const field = m[1]!.replace(/\(/g, '_').replace(/\)/g, '').replace(/[^a-zA-Z0-9_]/g, '_');
    const bytes = m[3] === 'kB';
    out.push({ name: `node_memory_${field}${bytes ? '_bytes' : ''}`, labels: {}, value: Number(m[2]) * (bytes ? 1024 : 1), metricType: 'gauge' });
  }
  return out;
}

/** /proc/loadavg → node_load1, node_load5, node_load15. */
export function parseLoadavg(text: string): Point[] {
  const f = text.trim().split(/\s+/);
  return [point('node_load1', f[0], 'gauge'), point('node_load5', f[1], 'gauge'), point('node_load15', f[2], 'gauge')];
}

const SECTOR = 512; // /proc/diskstats counts 512-byte sectors whatever the device's block size
// Field index (after major, minor, name) → series; times are ms in the file, seconds in the series.
const DISK_FIELDS: Array<[number, string, number]> = [
  [0, 'node_disk_reads_completed_total', 1],
  [1, 'node_disk_reads_merged_total', 1],
  [2, 'node_disk_read_bytes_total', SECTOR],
  [3, 'node_disk_read_time_seconds_total', 0.001],
  [4, 'node_disk_writes_completed_total', 1],
  [5, 'node_disk_writes_merged_total', 1],
  [6, 'node_disk_written_bytes_total', SECTOR],
  [7, 'node_disk_write_time_seconds_total', 0.001],
  [8, 'node_disk_io_now', 1],
  [9, 'node_disk_io_time_seconds_total', 0.001],
  [10, 'node_disk_io_time_weighted_seconds_total', 0.001],
];

/** /proc/diskstats → node_disk_*{device}, skipping devices whose name matches `exclude` (partitions, loop, ram). */
export function parseDiskstats(text: string, exclude: RegExp | undefined): Point[] {
  const out: Point[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 14) continue;
    const device = f[2]!;
    if (exclude?.test(device)) continue;
    for (const [idx, name, scale] of DISK_FIELDS) {
      out.push({ name, labels: { device }, value: Number(f[3 + idx]) * scale, metricType: name === 'node_disk_io_now' ? 'gauge' : 'counter' });
    }
  }
  return out;
}

const NET_RX = ['bytes', 'packets', 'errs', 'drop', 'fifo', 'frame', 'compressed', 'multicast'];
const NET_TX = ['bytes', 'packets', 'errs', 'drop', 'fifo', 'colls', 'carrier', 'compressed'];

/** /proc/net/dev → node_network_receive_*_total / node_network_transmit_*_total{device}. */
export function parseNetDev(text: string, exclude: RegExp | undefined): Point[] {
  const out: Point[] = [];
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const device = line.slice(0, colon).trim();
    if (exclude?.test(device)) continue;
    const f = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    if (f.length < 16) continue;
    NET_RX.forEach((k, i) => out.push({ name: `node_network_receive_${k}_total`, labels: { device }, value: f[i]!, metricType: 'counter' }));
    NET_TX.forEach((k, i) => out.push({ name: `node_network_transmit_${k}_total`, labels: { device }, value: f[8 + i]!, metricType: 'counter' }));
  }
  return out;
}

export interface MountEntry {
  device: string;
  fstype: string;
  mountpoint: string;
}

/** /proc/mounts; mount points escape blanks as octal (`/mnt/my\040disk`). */
export function parseMounts(text: string): MountEntry[] {
  const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    if (f.length >= 3) out.push({ device: unescape(f[0]!), mountpoint: unescape(f[1]!), fstype: f[2]! });
  }
  return out;
}

/** The mount holding `path`: the longest mount point that is `path` or one of its parents (the last one wins on ties, as the kernel stacks them). */
export function mountFor(path: string, mounts: MountEntry[]): MountEntry | undefined {
  let best: MountEntry | undefined;
  for (const m of mounts) {
    const mp = m.mountpoint;
    const covers = path === mp || mp === '/' || path.startsWith(mp.endsWith('/') ? mp : mp + '/');
    if (covers && (!best || mp.length >= best.mountpoint.length)) best = m;
  }
  return best;
}

function point(name: string, raw: string | undefined, metricType: MetricType): Point {
  return { name, labels: {}, value: Number(raw), metricType };
}
