// The host source against this machine's real /proc and file systems.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Sample } from '../../src/model';
import { hostSource } from '../../src/sources/host';
import { hostSchema } from '../../src/sources/host/schema';
import type { SourceContext } from '../../src/sources/types';
import { recordingContext } from './flink-prometheus.context';

describe('host source on the real /proc', () => {
  const ctx = recordingContext('node');
  const source = hostSource.create(hostSchema.parse({ type: 'host' }), ctx as unknown as SourceContext);
  const collect = async (): Promise<Sample[]> => (await source.collect!(new AbortController().signal)) as Sample[];

  it('reports MemTotal exactly as /proc/meminfo says', async () => {
    const out = await collect();
    const kb = Number(/^MemTotal:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'))![1]);
    assert.equal(out.find((s) => s.name === 'node_memory_MemTotal_bytes')!.value, kb * 1024);
    assert.equal(ctx.counters.get('host_collector_errors_total'), 0);
  });

  it('has one cpu label per online CPU and cpu seconds that never go back between collects', async () => {
    const first = await collect();
    const cpus = new Set(first.filter((s) => s.name === 'node_cpu_seconds_total').map((s) => s.labels.cpu));
    assert.equal(cpus.size, Number(execFileSync('getconf', ['_NPROCESSORS_ONLN']).toString().trim()));
    const busyLoopUntil = Date.now() + 50;
    while (Date.now() < busyLoopUntil); // burn a few ticks so at least one counter moves
    const deadline = Date.now() + 10_000;
    let second: Sample[];
    const total = (out: Sample[]) => out.filter((s) => s.name === 'node_cpu_seconds_total').reduce((a, s) => a + s.value, 0);
    do second = await collect();
    while (total(second) === total(first) && Date.now() < deadline);
    assert.ok(total(second) > total(first));
    for (const s of first.filter((x) => x.name === 'node_cpu_seconds_total')) {
      const later = second.find((x) => x.name === s.name && x.labels.cpu === s.labels.cpu && x.labels.mode === s.labels.mode)!;
      assert.ok(later.value >= s.value, `cpu ${s.labels.cpu} ${s.labels.mode} went back`);
    }
  });

  it('reports the size of / as df does', async () => {
    const out = await collect();
    const size = out.find((s) => s.name === 'node_filesystem_size_bytes' && s.labels.mountpoint === '/')!;
    const dfSize = Number(execFileSync('df', ['-B1', '--output=size', '/']).toString().trim().split('\n')[1]);
    assert.equal(size.value, dfSize);
    const avail = out.find((s) => s.name === 'node_filesystem_avail_bytes' && s.labels.mountpoint === '/')!;
    assert.ok(avail.value > 0 && avail.value <= size.value);
  });

  it('reports load averages and network counters', async () => {
    const out = await collect();
    const load1 = Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
    assert.ok(Math.abs(out.find((s) => s.name === 'node_load1')!.value - load1) < 5);
    assert.ok(out.some((s) => s.name === 'node_network_receive_bytes_total' && s.labels.device === 'lo'));
  });
});
