// The host source's /proc parsers on captured file contents, and the source on a fake proc_path where devices
// come and go. Real /proc values are checked in host.int.test.ts.
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Sample, TelemetryRecord } from '../../src/model';
import { hostSource } from '../../src/sources/host';
import { mountFor, parseDiskstats, parseLoadavg, parseMeminfo, parseMounts, parseNetDev, parseStat } from '../../src/sources/host/proc';
import { hostSchema } from '../../src/sources/host/schema';
import type { SourceContext } from '../../src/sources/types';
import { recordingContext, warnings } from './flink-prometheus.context';

const STAT = `cpu  5445 0 2878 125340 638 0 88 13 0 0
cpu0 2200 10 1135 63818 42 1 25 3 0 0
cpu1 3244 0 1743 61522 596 0 62 9 0 0
intr 1234 0 0
ctxt 987654
btime 1795560000
processes 10247
procs_running 2
procs_blocked 1
`;
const MEMINFO = `MemTotal:       24683656 kB
MemAvailable:   23534820 kB
Active(anon):     123456 kB
HugePages_Total:       0
Hugepagesize:       2048 kB
`;
const DISKSTATS = `   7       0 loop0 5 0 10 0 0 0 0 0 0 0 0 0 0 0 0 0 0
 253       0 vda 14383 3710 1140186 8132 31420 20937 1336448 29613 0 36576 40165 0 0 0 0 1262 2419
 253       1 vda1 14000 3700 1130000 8000 31000 20000 1330000 29000 0 36000 40000 0 0 0 0 0 0
`;
const NETDEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:   49129     511    0    0    0     0          0         0    49129     511    0    0    0     0       0          0
  eth0: 310314823    7955    1    2    0     0          0         0   767127    5170    3    4    0     0       0          0
`;

const find = (points: Array<{ name: string; labels: Record<string, string>; value: number }>, name: string, labels: Record<string, string> = {}) =>
  points.find((p) => p.name === name && Object.entries(labels).every(([k, v]) => p.labels[k] === v))?.value;

describe('host source', () => {
  describe('/proc parsers (node_exporter names)', () => {
    it('turns /proc/stat ticks into node_cpu_seconds_total{cpu,mode} and reads the stat counters', () => {
      const p = parseStat(STAT);
      assert.equal(find(p, 'node_cpu_seconds_total', { cpu: '0', mode: 'user' }), 22);
      assert.equal(find(p, 'node_cpu_seconds_total', { cpu: '0', mode: 'nice' }), 0.1);
      assert.equal(find(p, 'node_cpu_seconds_total', { cpu: '1', mode: 'iowait' }), 5.96);
      assert.equal(find(p, 'node_cpu_seconds_total', { cpu: '1', mode: 'steal' }), 0.09);
      assert.equal(p.filter((x) => x.name === 'node_cpu_seconds_total').length, 16, 'the aggregate "cpu" line is not a CPU');
      assert.equal(find(p, 'node_context_switches_total'), 987654);
      assert.equal(find(p, 'node_boot_time_seconds'), 1795560000);
      assert.equal(find(p, 'node_forks_total'), 10247);
      assert.equal(find(p, 'node_procs_running'), 2);
      assert.equal(find(p, 'node_procs_blocked'), 1);
    });

    it('turns /proc/meminfo kB into node_memory_*_bytes, with node_exporter spelling', () => {
      const p = parseMeminfo(MEMINFO);
      assert.equal(find(p, 'node_memory_MemTotal_bytes'), 24683656 * 1024);
      assert.equal(find(p, 'node_memory_MemAvailable_bytes'), 23534820 * 1024);
      assert.equal(find(p, 'node_memory_Active_anon_bytes'), 123456 * 1024);
      assert.equal(find(p, 'node_memory_HugePages_Total'), 0);
    });

    it('reads node_load1/5/15', () => {
      assert.deepEqual(parseLoadavg('0.67 0.23 0.07 1/166 10247\n').map((p) => [p.name, p.value]), [['node_load1', 0.67], ['node_load5', 0.23], ['node_load15', 0.07]]);
    });

    it('reads disk I/O in bytes and seconds, skipping partitions and loop devices by default', () => {
      const exclude = new RegExp(`^(?:${hostSchema.parse({ type: 'host' }).disk_exclude})$`);
      const p = parseDiskstats(DISKSTATS, exclude);
      assert.deepEqual([...new Set(p.map((x) => x.labels.device))], ['vda']);
      assert.equal(find(p, 'node_disk_read_bytes_total', { device: 'vda' }), 1140186 * 512);
      assert.equal(find(p, 'node_disk_written_bytes_total', { device: 'vda' }), 1336448 * 512);
      assert.equal(find(p, 'node_disk_reads_completed_total'), 14383);
      assert.equal(find(p, 'node_disk_io_time_seconds_total'), 36.576);
    });

    it('reads /proc/net/dev receive and transmit counters per device', () => {
      const p = parseNetDev(NETDEV, /^(?:lo)$/);
      assert.deepEqual([...new Set(p.map((x) => x.labels.device))], ['eth0']);
      assert.equal(find(p, 'node_network_receive_bytes_total', { device: 'eth0' }), 310314823);
      assert.equal(find(p, 'node_network_transmit_bytes_total', { device: 'eth0' }), 767127);
      assert.equal(find(p, 'node_network_receive_errs_total'), 1);
      assert.equal(find(p, 'node_network_transmit_drop_total'), 4);
    });

    it('finds the mount holding a path, unescaping octal blanks', () => {
      const mounts = parseMounts('/dev/vda / ext4 rw 0 0\n/dev/vdb /data xfs rw 0 0\n/dev/vdc /mnt/my\\040disk ext4 rw 0 0\n');
      assert.equal(mountFor('/', mounts)!.device, '/dev/vda');
      assert.equal(mountFor('/data/flink/checkpoints', mounts)!.fstype, 'xfs');
      assert.equal(mountFor('/database', mounts)!.device, '/dev/vda', '/data is not a parent of /database');
      assert.equal(mountFor('/mnt/my disk', mounts)!.device, '/dev/vdc');
    });
  });

  describe('collecting from proc_path', () => {
    let proc: string;
    beforeEach(() => {
      proc = mkdtempSync(path.join(tmpdir(), 'fta-proc-'));
      mkdirSync(path.join(proc, 'net'));
      writeFileSync(path.join(proc, 'stat'), STAT);
      writeFileSync(path.join(proc, 'meminfo'), MEMINFO);
      writeFileSync(path.join(proc, 'loadavg'), '0.5 0.4 0.3 1/100 42\n');
      writeFileSync(path.join(proc, 'diskstats'), DISKSTATS);
      writeFileSync(path.join(proc, 'net', 'dev'), NETDEV);
      writeFileSync(path.join(proc, 'mounts'), '/dev/root / ext4 rw 0 0\n');
    });
    afterEach(() => rmSync(proc, { recursive: true, force: true }));

    const build = (o: Record<string, unknown> = {}) => {
      const ctx = recordingContext('node');
      const source = hostSource.create(hostSchema.parse({ type: 'host', proc_path: proc, ...o }), ctx as unknown as SourceContext);
      return { source, ctx, collect: async () => (await source.collect!(new AbortController().signal)) as Sample[] };
    };

    it('emits every collector with the agent labels', async () => {
      const { collect } = build({ labels: { rack: 'r1' } });
      const out = await collect();
      for (const name of ['node_cpu_seconds_total', 'node_memory_MemTotal_bytes', 'node_load1', 'node_filesystem_size_bytes', 'node_disk_read_bytes_total', 'node_network_receive_bytes_total']) {
        assert.ok(out.some((s) => s.name === name), name);
      }
      const fs = out.find((s) => s.name === 'node_filesystem_avail_bytes')!;
      assert.deepEqual(fs.labels, { device: '/dev/root', fstype: 'ext4', mountpoint: '/', env: 'test', rack: 'r1', cluster: 'c1', node: 'n1' });
      assert.ok(fs.value > 0);
    });

    it('ends the series of a network device that disappeared with stale markers, once', async () => {
      const { collect } = build({ collectors: ['netdev'] });
      await collect();
      writeFileSync(path.join(proc, 'net', 'dev'), NETDEV.split('\n').filter((l) => !l.includes('eth0')).join('\n'));
      const markers = (await collect()).filter((s: TelemetryRecord) => (s as Sample).stale);
      assert.equal(markers.length, 16);
      assert.ok(markers.every((s) => s.labels.device === 'eth0' && Number.isNaN(s.value)));
      assert.equal((await collect()).filter((s) => s.stale).length, 0);
    });

    it('keeps the other collectors when one file is missing, counting and logging the failure once', async () => {
      rmSync(path.join(proc, 'diskstats'));
      const { collect, ctx } = build();
      await collect();
      const out = await collect();
      assert.ok(out.some((s) => s.name === 'node_load1'));
      assert.ok(!out.some((s) => s.name.startsWith('node_disk_')));
      assert.equal(ctx.counters.get('host_collector_errors_total'), 2);
      assert.equal(warnings(ctx).length, 1);
      assert.match(warnings(ctx)[0]!.msg, /diskstats/);
      assert.ok(ctx.lastStatus.ok, 'one failing collector is not a failed source');
    });

    it('reports /status when every collector fails (wrong proc_path)', async () => {
      const { collect, ctx } = build({ proc_path: path.join(proc, 'nope'), collectors: ['cpu', 'memory'] });
      assert.deepEqual(await collect(), []);
      assert.equal(ctx.lastStatus.ok, false);
      assert.match(ctx.lastStatus.message!, /proc_path/);
    });

    it('rejects an unknown collector and a relative mount point', () => {
      assert.equal(hostSchema.safeParse({ type: 'host', collectors: ['gpu'] }).success, false);
      assert.equal(hostSchema.safeParse({ type: 'host', mount_points: ['data'] }).success, false);
    });
  });
});
