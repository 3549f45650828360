// The flink_prometheus source against stand-in reporters on loopback: cardinality control, series limit, stale
// markers, per-target health and the port-range prober. The real reporters are in flink-prometheus.int.test.ts.
import assert from 'node:assert/strict';
import type { Sample, TelemetryRecord } from '../../src/model';
import { seriesKey } from '../../src/model';
import { flinkPrometheusSource } from '../../src/sources/flink-prometheus';
import { parseExposition } from '../../src/sources/flink-prometheus/parse';
import { flinkPrometheusSchema } from '../../src/sources/flink-prometheus/schema';
import { ScrapeMemo } from '../../src/sources/flink-prometheus/scrape-memo';
import { SeriesShaper } from '../../src/sources/flink-prometheus/series';
import { hostFromRpcPath, taskManagerHosts } from '../../src/sources/flink-prometheus/targets';
import type { Source, SourceContext } from '../../src/sources/types';
import type { RecordedContext } from './flink-prometheus.context';
import { fixture, oneScrape, recordingContext, warnings } from './flink-prometheus.context';
import { AppearingReporterStandIn, freePortBlock } from './flink-prometheus.stand-in';

const TM = fixture('tm-prom-9250-head30.txt');
const SYNTHETIC = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'scrape_samples_post_metric_relabeling']);

function build(options: Record<string, unknown>): { source: Source; ctx: RecordedContext } {
  const cfg = flinkPrometheusSchema.parse({ type: 'flink_prometheus', interval: '10s', ...options });
  const ctx = recordingContext('flink_reporters');
  return { source: flinkPrometheusSource.create(cfg, ctx as unknown as SourceContext), ctx };
}

const collect = async (s: Source): Promise<Sample[]> => (await s.collect!(new AbortController().signal)) as Sample[];
const data = (records: TelemetryRecord[]): Sample[] => (records as Sample[]).filter((s) => !SYNTHETIC.has(s.name) && !s.stale);
const stale = (records: Sample[]): Sample[] => records.filter((s) => s.stale);
const upOf = (records: Sample[], instance: string): number | undefined => records.find((s) => s.name === 'up' && s.labels.instance === instance && !s.stale)?.value;

describe('flink_prometheus source', () => {
  const standIns: AppearingReporterStandIn[] = [];
  const reporter = async (body: string, port?: number): Promise<AppearingReporterStandIn> => {
    const r = await new AppearingReporterStandIn(body).start(port);
    standIns.push(r);
    return r;
  };
  afterEach(async () => {
    await Promise.all(standIns.splice(0).map((r) => r.stop()));
  });

  describe('cardinality control', () => {
    const shape = (text: string, dropLabels = ['task_attempt_id', 'task_attempt_num'], base = { cluster: 'c1', node: 'n1' }) => {
      const shaper = new SeriesShaper({ dropLabels, include: [], exclude: [], base });
      const read = new ScrapeMemo(shaper).read(Buffer.from(text), undefined, 1000);
      return { shaped: oneScrape(read.series, read.samples), parsed: read.samples };
    };

    it('drops task_attempt_id/num but keeps two TaskManagers on one node apart by tm_id', () => {
      const other = TM.replaceAll('127_0_0_1:34365_ed41ec', '127_0_0_1:40001_aaaaaa');
      const { shaped, parsed } = shape(TM + '\n' + other);
      assert.equal(shaped.collisions, 0);
      assert.equal(shaped.series.size, parsed.length);
      for (const [key, s] of shaped.series) assert.equal(key, seriesKey(s.name, s.labels), 'the shaper keys series exactly like seriesKey()');
      const tms = new Set([...shaped.series.values()].map((s) => s.labels.tm_id));
      assert.deepEqual([...tms].sort(), ['127_0_0_1:34365_ed41ec', '127_0_0_1:40001_aaaaaa']);
      for (const s of shaped.series.values()) {
        assert.equal(s.labels.task_attempt_id, undefined);
        assert.equal(s.labels.task_attempt_num, undefined);
      }
    });

    it('keeps the newest task attempt when dropping labels makes two series of one scrape identical, and counts it', () => {
      const text = [
        'flink_taskmanager_job_task_numRecordsIn{task_attempt_id="a_0",task_attempt_num="0",tm_id="t1",subtask_index="0",} 10.0',
        'flink_taskmanager_job_task_numRecordsIn{task_attempt_id="a_1",task_attempt_num="1",tm_id="t1",subtask_index="0",} 3.0',
        'flink_taskmanager_job_task_numRecordsIn{task_attempt_id="b_0",task_attempt_num="0",tm_id="t1",subtask_index="1",} 7.0',
      ].join('\n');
      const { shaped } = shape(text);
      assert.equal(shaped.series.size, 2);
      assert.equal(shaped.collisions, 1);
      assert.deepEqual([...shaped.series.values()].map((s) => [s.labels.subtask_index, s.value]), [['0', 3], ['1', 7]]);
    });

    it('keys series like seriesKey() whatever order the labels come in', () => {
      const { shaped } = shape('m{b="1",a="2"} 1\nm{a="3",b="4"} 2\nm{c="5"} 3\nn{a="6",b="7"} 4');
      assert.equal(shaped.series.size, 4);
      for (const [key, s] of shaped.series) assert.equal(key, seriesKey(s.name, s.labels));
    });

    it('keeps every label with drop_labels: []', () => {
      const { shaped } = shape(TM, []);
      assert.ok([...shaped.series.values()].some((s) => s.labels.task_attempt_id !== undefined));
    });

    it("adds the agent's labels and renames a clashing exposition label to exported_<name>", () => {
      const { shaped } = shape('m{cluster="theirs",host="h"} 1', []);
      assert.deepEqual([...shaped.series.values()][0]!.labels, { exported_cluster: 'theirs', host: 'h', cluster: 'c1', node: 'n1' });
    });

    it('keeps only names fully matching include, minus exclude', async () => {
      const r = await reporter(TM);
      const { source } = build({ urls: [`http://127.0.0.1:${r.port}/metrics`], scan: false, include: ['flink_taskmanager_job_task_.*'], exclude: ['.*PerSecond'] });
      const names = new Set(data(await collect(source)).map((s) => s.name));
      assert.ok(names.size > 0);
      for (const n of names) assert.match(n, /^flink_taskmanager_job_task_/);
      for (const n of names) assert.doesNotMatch(n, /PerSecond$/);
      assert.ok(!names.has('flink_taskmanager_Status_JVM_Memory_Heap_Used'));
    });

    it('drops new series beyond series_limit with a counter and a warning, and keeps the admitted ones stable', async () => {
      const r = await reporter(TM);
      const total = parseExposition(TM).samples.length;
      const { source, ctx } = build({ urls: [`http://127.0.0.1:${r.port}/metrics`], scan: false, series_limit: 5 });
      const first = data(await collect(source));
      assert.equal(first.length, 5);
      assert.equal(ctx.counters.get('series_limit_dropped_total'), total - 5);
      assert.equal(warnings(ctx).filter((l) => /series_limit/.test(l.msg)).length, 1);
      const second = data(await collect(source));
      assert.deepEqual(second.map((s) => seriesKey(s.name, s.labels)).sort(), first.map((s) => seriesKey(s.name, s.labels)).sort());
      assert.equal(ctx.counters.get('series_limit_dropped_total'), 2 * (total - 5));
    });
  });

  describe('samples', () => {
    it("carries cluster, node, agent and source labels, Flink's names, and the scrape time when the line has none", async () => {
      const r = await reporter(TM + '\nwith_ts{host="h"} 1 1700000000123\n');
      const { source } = build({ urls: [`http://127.0.0.1:${r.port}/metrics`], scan: false, labels: { team: 'data' } });
      const before = Date.now();
      const out = await collect(source);
      const heap = out.find((s) => s.name === 'flink_taskmanager_Status_JVM_Memory_Heap_Used')!;
      assert.deepEqual(heap.labels, { host: '127_0_0_1', tm_id: '127_0_0_1:34365_ed41ec', env: 'test', team: 'data', cluster: 'c1', node: 'n1' });
      assert.equal(heap.value, 9.2474264e7);
      assert.ok(heap.timestampMs >= before && heap.timestampMs <= Date.now());
      assert.equal(out.find((s) => s.name === 'with_ts')!.timestampMs, 1700000000123);
    });

    it('counts malformed lines, warns once per scrape with the first one, and keeps the rest', async () => {
      const lines = TM.split('\n');
      lines.splice(4, 0, 'flink_broken{host="x" 1.0', 'another bad line');
      const r = await reporter(lines.join('\n'));
      const { source, ctx } = build({ urls: [`http://127.0.0.1:${r.port}/metrics`], scan: false });
      const out = await collect(source);
      assert.equal(data(out).length, parseExposition(TM).samples.length);
      assert.equal(ctx.counters.get('scrape_parse_errors_total'), 2);
      const warn = warnings(ctx).filter((l) => /exposition line/.test(l.msg));
      assert.equal(warn.length, 1);
      assert.equal(warn[0]!.line, 5);
      assert.equal(warn[0]!.text, 'flink_broken{host="x" 1.0');
      assert.equal(upOf(out, `127.0.0.1:${r.port}`), 1);
    });
  });

  describe('stale markers', () => {
    it('ends a series that vanished between two collects with one stale marker', async () => {
      const r = await reporter(TM);
      const { source } = build({ urls: [`http://127.0.0.1:${r.port}/metrics`], scan: false });
      const first = await collect(source);
      assert.equal(stale(first).length, 0);
      r.body = TM.split('\n').filter((l) => !l.startsWith('flink_taskmanager_Status_JVM_Memory_Heap_Used')).join('\n');
      const second = await collect(source);
      const markers = stale(second);
      assert.equal(markers.length, 1);
      assert.equal(markers[0]!.name, 'flink_taskmanager_Status_JVM_Memory_Heap_Used');
      assert.equal(markers[0]!.labels.tm_id, '127_0_0_1:34365_ed41ec');
      assert.ok(Number.isNaN(markers[0]!.value));
      assert.equal(stale(await collect(source)).length, 0, 'the marker is sent once');
    });

    it('ends every series of a probed reporter whose port closed, then its up series, then forgets it', async () => {
      const r = await reporter(TM);
      const instance = `127.0.0.1:${r.port}`;
      const { source, ctx } = build({ ports: String(r.port) });
      const first = await collect(source);
      const dataKeys = new Set(data(first).map((s) => seriesKey(s.name, s.labels)));
      assert.ok(dataKeys.size > 0);
      assert.equal(upOf(first, instance), 1);

      await r.stop();
      const second = await collect(source);
      assert.equal(upOf(second, instance), 0);
      const ended = new Set(stale(second).map((s) => seriesKey(s.name, s.labels)));
      for (const k of dataKeys) assert.ok(ended.has(k), `${k} ended`);
      assert.ok(stale(second).some((s) => s.name === 'scrape_duration_seconds'));

      const third = await collect(source);
      assert.deepEqual(third.map((s) => [s.name, s.stale]), [['up', true]]);
      assert.deepEqual(await collect(source), []);
      assert.equal(ctx.counters.get('scrape_failures_total'), 0, 'a closed probed port is not a failure');

      await r.start();
      assert.equal(upOf(await collect(source), instance), 1);
    });
  });

  describe('targets and health', () => {
    it('probes a port range: open ports are targets, a closed port in between is silently skipped', async () => {
      const base = await freePortBlock(3);
      await reporter(fixture('jm-prom-9249-head30.txt'), base);
      await reporter(TM, base + 2);
      const { source, ctx } = build({ ports: `${base}-${base + 2}` });
      const out = await collect(source);
      assert.deepEqual(out.filter((s) => s.name === 'up').map((s) => [s.labels.instance, s.value]).sort(), [
        [`127.0.0.1:${base}`, 1],
        [`127.0.0.1:${base + 2}`, 1],
      ]);
      assert.ok(data(out).some((s) => s.name === 'flink_jobmanager_numRunningJobs'));
      assert.ok(data(out).some((s) => s.labels.tm_id === '127_0_0_1:34365_ed41ec'));
      assert.equal(warnings(ctx).length, 0);
      assert.equal(ctx.gauges.get('scrape_targets_up'), 2);
      assert.ok(ctx.lastStatus.ok);
      const scraped = out.find((s) => s.name === 'scrape_samples_scraped' && s.labels.instance === `127.0.0.1:${base + 2}`)!;
      assert.equal(scraped.value, parseExposition(TM).samples.length);
      assert.ok(out.find((s) => s.name === 'scrape_duration_seconds')!.value >= 0);
    });

    it('reports a listed URL that refuses as up=0, logs the failure once and sets /status', async () => {
      const base = await freePortBlock(1);
      const { source, ctx } = build({ urls: [`http://127.0.0.1:${base}/metrics`], scan: false });
      for (let i = 0; i < 2; i++) assert.equal(upOf(await collect(source), `127.0.0.1:${base}`), 0);
      assert.equal(ctx.counters.get('scrape_failures_total'), 2);
      assert.equal(warnings(ctx).filter((l) => /scrape failed/.test(l.msg)).length, 1);
      assert.equal(ctx.lastStatus.ok, false);
      assert.match(ctx.lastStatus.message!, new RegExp(`127.0.0.1:${base}`));
    });

    it('gives up on a reporter slower than scrape_timeout: up=0, its series stale, the round still finishes', async () => {
      const r = await reporter(TM);
      const { source, ctx } = build({ urls: [`http://127.0.0.1:${r.port}/metrics`], scan: false, scrape_timeout: '300ms', interval: '1s' });
      assert.ok(data(await collect(source)).length > 0);
      r.delayMs = 2000;
      const out = await collect(source);
      assert.equal(upOf(out, `127.0.0.1:${r.port}`), 0);
      assert.equal(stale(out).length, parseExposition(TM).samples.length + 2, 'data series plus the two scrape_samples_* series');
      assert.match(String(warnings(ctx)[0]!.reason), /longer than 300 ms/);
    });

    it('treats an HTTP error as up=0 with the status in the log', async () => {
      const r = await reporter('not found');
      r.status = 404;
      const { source, ctx } = build({ urls: [`http://127.0.0.1:${r.port}/metrics`], scan: false });
      assert.equal(upOf(await collect(source), `127.0.0.1:${r.port}`), 0);
      assert.match(String(warnings(ctx)[0]!.reason), /HTTP 404/);
    });

    it('finds TaskManager hosts in a real /taskmanagers response', () => {
      const body = JSON.parse(fixture('taskmanagers-1.20.5.json'));
      assert.deepEqual(taskManagerHosts(body), ['127.0.0.1', '127.0.0.1']);
      assert.equal(hostFromRpcPath('akka.tcp://flink@10.0.0.5:6122/user/rpc/taskmanager_0'), '10.0.0.5');
      assert.equal(hostFromRpcPath('pekko.tcp://flink@[fd00::1]:6122/user/rpc/taskmanager_0'), '[fd00::1]');
      assert.equal(hostFromRpcPath('pekko://flink/user/rpc/taskmanager_0'), undefined);
      assert.throws(() => taskManagerHosts({ errors: ['x'] }), /taskmanagers/);
    });

    it('falls back to the JobManager host when discover_from does not answer, warning once', async () => {
      const base = await freePortBlock(2);
      await reporter(TM, base + 1);
      const { source, ctx } = build({ discover_from: `http://127.0.0.1:${base}`, ports: `${base + 1}` });
      for (let i = 0; i < 2; i++) assert.equal(upOf(await collect(source), `127.0.0.1:${base + 1}`), 1);
      assert.equal(ctx.counters.get('scrape_discovery_failures_total'), 2);
      assert.equal(warnings(ctx).filter((l) => /discovery failed/.test(l.msg)).length, 1);
    });
  });

  describe('config', () => {
    const parse = (o: Record<string, unknown>) => flinkPrometheusSchema.safeParse({ type: 'flink_prometheus', ...o });

    it('defaults: port range 9249-9260 on 127.0.0.1, churn labels dropped, 20000 series', () => {
      const cfg = flinkPrometheusSchema.parse({ type: 'flink_prometheus' });
      assert.equal(cfg.ports, '9249-9260');
      assert.equal(cfg.host, '127.0.0.1');
      assert.deepEqual(cfg.drop_labels, ['task_attempt_id', 'task_attempt_num']);
      assert.equal(cfg.series_limit, 20000);
      assert.equal(cfg.scrape_timeout, undefined, 'then 80% of interval');
    });

    it('says what a label name must look like (the config error reads `"bad-name" is not <this>`)', () => {
      const r = parse({ drop_labels: ['bad-name'] });
      assert.equal(r.error?.issues[0]?.message, 'a Prometheus label name (letters, digits and _, not starting with a digit)');
    });

    for (const [o, field] of [
      [{ scrape_timeout: '15s' }, 'scrape_timeout'],
      [{ ports: '9260-9249' }, 'ports'],
      [{ ports: 'abc' }, 'ports'],
      [{ include: ['(unclosed'] }, 'include'],
      [{ scan: false }, 'urls'],
      [{ drop_labels: ['bad-name'] }, 'drop_labels'],
      [{ typo_option: 1 }, ''],
    ] as Array<[Record<string, unknown>, string]>) {
      it(`rejects ${JSON.stringify(o)} naming ${field || 'the unknown key'}`, () => {
        const r = parse(o);
        assert.equal(r.success, false);
        if (field) assert.equal(r.error!.issues[0]!.path[0], field);
      });
    }
  });
});
