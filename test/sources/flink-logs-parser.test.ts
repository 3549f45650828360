import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileLayout, flinkDefaultLayout, type LineLayout } from '../../src/sources/flink-logs/layout';
import { buildRecord, extractAttributes, MultilineAssembler, type PendingRecord } from '../../src/sources/flink-logs/record-builder';
import { ZoneClock } from '../../src/sources/flink-logs/timezone';
import { componentFromName } from '../../src/sources/flink-logs/component-name';
import type { LogRecord } from '../../src/model';

const FIX = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'logs');
const utc = new ZoneClock('UTC');
const iso = (ms: number) => new Date(ms).toISOString();

function parseFile(name: string, layout: LineLayout = flinkDefaultLayout(utc)): { records: LogRecord[]; unparsed: number } {
  let unparsed = 0;
  const asm = new MultilineAssembler(layout, 1000, { unparsed: () => unparsed++, dropped: () => undefined });
  const records: LogRecord[] = [];
  const make = (p: PendingRecord) => buildRecord(p, { id: `n:${p.start}`, component: componentFromName(name), stream: 'log', labels: {}, attributes: {}, fallbackTimeMs: 0 });
  let off = 0;
  for (const line of readFileSync(join(FIX, name), 'utf8').split('\n').slice(0, -1)) {
    const done = asm.push(line, off, off + Buffer.byteLength(line) + 1, 0);
    if (done) records.push(make(done));
    off += Buffer.byteLength(line) + 1;
  }
  const last = asm.flush();
  if (last) records.push(make(last));
  return { records, unparsed };
}

describe('flink_logs parser', () => {
  describe('the real Flink 1.20 / 2.3 log samples', () => {
    for (const [file, logger, component] of [
      ['flink-root-standalonesession-0-host.log', 'org.apache.flink.runtime.entrypoint.ClusterEntrypoint', 'jobmanager'],
      ['flink-root-taskexecutor-0-host.log', 'org.apache.flink.runtime.taskexecutor.TaskManagerRunner', 'taskmanager'],
      ['flink2-root-taskexecutor-0-host.log', 'org.apache.flink.runtime.taskexecutor.TaskManagerRunner', 'taskmanager'],
    ] as const) {
      it(`parses every line of ${file} as its own record with level with logger, component and an empty NDC`, () => {
        const text = readFileSync(join(FIX, file), 'utf8');
        const { records, unparsed } = parseFile(file);
        assert.equal(unparsed, 0);
        assert.equal(records.length, text.split('\n').length - 1);
        assert.ok(records.every((r) => r.logger && r.thread === undefined && r.component === component));
        const warns = text.split('\n').filter((l) => l.slice(24, 29) === 'WARN ').length;
        assert.equal(records.filter((r) => r.level === 'WARN').length, warns);
        assert.equal(records.filter((r) => r.level === 'INFO').length, records.length - warns);
        assert.equal(records[0]!.logger, logger);
        assert.equal(records[0]!.message, '--------------------------------------------------------------------------------');
        assert.match(records[1]!.message, /^ Starting (StandaloneSessionClusterEntrypoint|TaskManager) \(Version: /);
      });
    }

    it('reads the timestamp of the first sample line in the configured zone', () => {
      const line = readFileSync(join(FIX, 'flink-root-standalonesession-0-host.log'), 'utf8').split('\n')[0]!;
      assert.equal(iso(flinkDefaultLayout(utc).parse(line)!.timestampMs), '2026-11-24T23:47:11.780Z');
      assert.equal(iso(flinkDefaultLayout(new ZoneClock('Europe/Berlin')).parse(line)!.timestampMs), '2026-11-24T22:47:11.780Z');
    });

    it('splits a GlobalConfiguration line into logger and message', () => {
      const { records } = parseFile('flink-root-standalonesession-0-host.log');
      const cfg = records.find((r) => r.message.startsWith('Loading configuration property: rest.bind-address'));
      assert.equal(cfg?.logger, 'org.apache.flink.configuration.GlobalConfiguration');
      assert.equal(cfg?.message, 'Loading configuration property: rest.bind-address, 127.0.0.1');
    });
  });

  describe('the header line', () => {
    const layout = flinkDefaultLayout(utc);
    const table: Array<[string, string, Partial<ReturnType<LineLayout['parse']> & object> | null]> = [
      ['with the [] NDC', '2024-05-01 12:00:00,123 WARN  org.apache.flink.Foo                                  [] - hello - world',
        { level: 'WARN', logger: 'org.apache.flink.Foo', message: 'hello - world' }],
      ['without any NDC (log4j1 era)', '2024-05-01 12:00:00,123 ERROR org.apache.flink.Foo - boom',
        { level: 'ERROR', logger: 'org.apache.flink.Foo', message: 'boom' }],
      ['with an NDC value', '2024-05-01 12:00:00,123 DEBUG org.apache.flink.Foo [Source: Custom Source (1/1)#0] - x',
        { level: 'DEBUG', ndc: 'Source: Custom Source (1/1)#0', message: 'x' }],
      ['with an empty message', '2024-05-01 12:00:00,123 INFO  org.apache.flink.Foo [] - ', { level: 'INFO', message: '' }],
      ['with a logger longer than the 60-char pad', `2024-05-01 12:00:00,123 INFO  ${'a.'.repeat(40)}B [] - m`, { logger: `${'a.'.repeat(40)}B`, message: 'm' }],
      ['with an unknown level word (kept, INFO)', '2024-05-01 12:00:00,123 NOTICE something else', { level: 'INFO', message: 'NOTICE something else' }],
      ['a stack frame', '\tat org.apache.flink.Foo.bar(Foo.java:1)', null],
      ['a Caused by line', 'Caused by: java.io.IOException: x', null],
      ['a date-only line', '2024-05-01 is not a record', null],
    ];
    for (const [name, line, want] of table) {
      it(`parses a line ${name}`, () => {
        const got = layout.parse(line);
        if (want === null) return assert.equal(got, null);
        assert.ok(got);
        for (const [k, v] of Object.entries(want)) assert.deepEqual((got as unknown as Record<string, unknown>)[k], v, k);
      });
    }
  });

  describe('stack traces', () => {
    const { records, unparsed } = parseFile('flink-root-standalonesession-1-exceptions.log');

    it('joins the header, the trace and its Caused by chain into one record', () => {
      assert.equal(unparsed, 0);
      assert.equal(records.length, 7);
      const failed = records[2]!;
      assert.match(failed.message, /switched from RUNNING to FAILED on 127\.0\.0\.1:34365-ed41ec/);
      assert.ok(!failed.message.includes('\tat '), 'the trace is not in the message');
      assert.equal(failed.exception?.type, 'org.apache.flink.runtime.jobmaster.JobMasterException');
      assert.equal(failed.exception?.message, 'TaskManager with id 127.0.0.1:34365-ed41ec is no longer reachable.');
      assert.deepEqual(failed.exception?.causes, [
        { type: 'java.util.concurrent.TimeoutException', message: 'Heartbeat of TaskManager with id 127.0.0.1:34365-ed41ec timed out.' },
        { type: 'java.io.IOException', message: 'Connection reset by peer' },
      ]);
      assert.equal(failed.exception?.stack.split('\n').length, 38 + 4);
      assert.ok(failed.exception?.stack.endsWith('\t... 31 more'));
      assert.equal(failed.attributes['to_state'], 'FAILED');
      assert.equal(failed.attributes['subtask'], '1/1');
      assert.match(failed.attributes['task_name']!, /^Window\(GlobalWindows\(\).* -> Sink: Print to Std\. Out$/);
    });

    it('keeps an ERROR with an NDC and a short trace together', () => {
      const r = records[5]!;
      assert.equal(r.level, 'ERROR');
      assert.equal(r.thread, 'Source: Custom Source (1/1)#0');
      assert.equal(r.exception?.type, 'java.lang.RuntimeException');
      assert.equal(r.exception?.message, 'boom');
      assert.deepEqual(r.exception?.causes, []);
    });

    it('appends continuation lines that are no exception to the message', () => {
      const r = records[6]!;
      assert.equal(r.message, 'JVM Options:\n    -Xmx469762048\n    -Xms469762048');
      assert.equal(r.exception, undefined);
    });

    it('starts a record at a line without header when nothing precedes it, and counts it', () => {
      const lines = ['\tat a.b.C.d(C.java:1)', '\tat a.b.C.e(C.java:2)', '2024-05-01 12:00:00,123 INFO  x.Y [] - next'];
      let unparsedCount = 0;
      const asm = new MultilineAssembler(flinkDefaultLayout(utc), 10, { unparsed: () => unparsedCount++, dropped: () => undefined });
      const out = lines.map((l, i) => asm.push(l, i * 100, i * 100 + 50, 0)).filter((p) => p !== undefined);
      assert.equal(out.length, 1);
      assert.equal(out[0]!.header, null);
      assert.equal(out[0]!.continuation.length, 1);
      assert.equal(unparsedCount, 1);
      const rec = buildRecord(out[0]!, { id: 'x', component: undefined, stream: 'log', labels: {}, attributes: {}, fallbackTimeMs: 7 });
      assert.equal(rec.level, 'INFO');
      assert.equal(rec.timestampMs, 7);
      assert.equal(rec.message, '\tat a.b.C.d(C.java:1)\n\tat a.b.C.e(C.java:2)');
    });

    it('drops continuation lines beyond the limit and counts them', () => {
      let dropped = 0;
      const asm = new MultilineAssembler(flinkDefaultLayout(utc), 2, { unparsed: () => undefined, dropped: (n) => { dropped += n; } });
      asm.push('2024-05-01 12:00:00,123 INFO  x.Y [] - head', 0, 1, 0);
      for (let i = 0; i < 5; i++) asm.push(`\tat f${i}`, 0, 1, 0);
      const p = asm.flush()!;
      assert.deepEqual(p.continuation, ['\tat f0', '\tat f1']);
      assert.equal(dropped, 3);
    });
  });

  describe('attributes Flink writes into messages', () => {
    const table: Array<[string, Record<string, string>]> = [
      ['Completed checkpoint 15 for job 90dd6a1e5c8b2f4e7a3d1c0b9f8e7d6c (13562 bytes, checkpointDuration=86 ms, finalizationTime=1 ms).',
        { job_id: '90dd6a1e5c8b2f4e7a3d1c0b9f8e7d6c', checkpoint_id: '15' }],
      ["Triggering checkpoint 16 (type=CheckpointType{name='Checkpoint', sharingFilesStrategy=FORWARD_BACKWARD}) @ 1795564205100 for job 90dd6a1e5c8b2f4e7a3d1c0b9f8e7d6c.",
        { job_id: '90dd6a1e5c8b2f4e7a3d1c0b9f8e7d6c', checkpoint_id: '16' }],
      ['Checkpoint 7 of job 90dd6a1e5c8b2f4e7a3d1c0b9f8e7d6c expired before completing.', { job_id: '90dd6a1e5c8b2f4e7a3d1c0b9f8e7d6c', checkpoint_id: '7' }],
      ['Job TopSpeedWindowing (90dd6a1e5c8b2f4e7a3d1c0b9f8e7d6c) switched from state RUNNING to RESTARTING.',
        { job_id: '90dd6a1e5c8b2f4e7a3d1c0b9f8e7d6c', job_name: 'TopSpeedWindowing', from_state: 'RUNNING', to_state: 'RESTARTING' }],
      ['Source: Custom Source (2/4)#1 (5d2a8f1c_0_1) switched from DEPLOYING to INITIALIZING.',
        { task_name: 'Source: Custom Source', subtask: '2/4', from_state: 'DEPLOYING', to_state: 'INITIALIZING' }],
      ['Loading configuration property: rest.port, 8081', {}],
    ];
    for (const [message, want] of table) {
      it(`extracts ${JSON.stringify(want)} from "${message.slice(0, 40)}…"`, () => {
        const got: Record<string, string> = {};
        extractAttributes(message, got);
        assert.deepEqual(got, want);
      });
    }
  });

  it('gives a record fields of its own in a copy, never in the attributes its file shares', () => {
    const shared = { file: '/opt/flink/log/jm.log' };
    const assembler = new MultilineAssembler(flinkDefaultLayout(utc), 1000, { unparsed() {}, dropped() {} });
    const lines = [
      '2024-05-01 12:00:00,000 INFO  org.apache.flink.runtime.checkpoint.CheckpointCoordinator [] - Completed checkpoint 16 for job 90dd6a1e5c8b2f4e7a3d1c0b9f8e7d6c.',
      '2024-05-01 12:00:01,000 INFO  org.apache.flink.runtime.rest.RestServerEndpoint [] - Rest endpoint listening.',
      '2024-05-01 12:00:02,000 INFO  org.apache.flink.runtime.rest.RestServerEndpoint [] - done.',
    ];
    const recs = lines.flatMap((l, i) => {
      const p = assembler.push(l, i * 100, i * 100 + 99, 0);
      return p ? [buildRecord(p, { id: `n:${p.start}`, component: 'jobmanager', stream: 'log', labels: {}, attributes: shared, fallbackTimeMs: 0 })] : [];
    });
    assert.deepEqual(recs.map((r) => r.attributes), [{ file: '/opt/flink/log/jm.log', job_id: '90dd6a1e5c8b2f4e7a3d1c0b9f8e7d6c', checkpoint_id: '16' }, { file: '/opt/flink/log/jm.log' }]);
    assert.deepEqual(shared, { file: '/opt/flink/log/jm.log' });
    assert.equal(recs[1]!.attributes, shared, 'nothing of its own: the shared object itself');
  });

  describe('custom layouts', () => {
    it('compiles a log4j pattern with thread and dot-millis', () => {
      const l = compileLayout('%d{yyyy-MM-dd HH:mm:ss.SSS} [%t] %-5p %c %x - %m%n', utc);
      const h = l.parse('2024-05-01 12:00:00.250 [main thread] WARN  org.example.Foo [] - hello there');
      assert.ok(h);
      assert.equal(iso(h.timestampMs), '2024-05-01T12:00:00.250Z');
      assert.equal(h.thread, 'main thread');
      assert.equal(h.level, 'WARN');
      assert.equal(h.logger, 'org.example.Foo');
      assert.equal(h.message, 'hello there');
      assert.equal(l.parse('\tat x.Y.z(Y.java:1)'), null);
    });

    it('compiles %d{ISO8601}', () => {
      const h = compileLayout('%d{ISO8601} %p %c: %m%n', new ZoneClock('Europe/Berlin')).parse('2024-01-15T08:00:00,000 ERROR a.B: bad');
      assert.equal(iso(h!.timestampMs), '2024-01-15T07:00:00.000Z');
      assert.equal(h!.message, 'bad');
    });

    it('accepts a regex with named groups, including a zone in the timestamp', () => {
      const l = compileLayout('^(?<timestamp>\\S+) (?<level>\\w+) (?<logger>\\S+) - (?<message>.*)$', utc);
      const h = l.parse('2024-05-01T12:00:00.5+02:00 info a.B - m');
      assert.equal(iso(h!.timestampMs), '2024-05-01T10:00:00.500Z');
      assert.equal(h!.level, 'INFO');
    });

    it('rejects a pattern without a timestamp and an unknown conversion, naming the problem', () => {
      assert.throws(() => compileLayout('%p %m%n', utc), /needs a timestamp/);
      assert.throws(() => compileLayout('%d %q %m', utc), /unsupported conversion %q/);
    });
  });

  describe('time zones (Intl or the local zone, DST)', () => {
    const table: Array<[string, string, string]> = [
      ['Europe/Berlin', '2026-07-01 12:00:00,000', '2026-07-01T10:00:00.000Z'],
      ['Europe/Berlin', '2026-01-15 12:00:00,000', '2026-01-15T11:00:00.000Z'],
      ['Europe/Berlin', '2026-03-29 01:59:59,999', '2026-03-29T00:59:59.999Z'],
      ['Europe/Berlin', '2026-03-29 02:30:00,000', '2026-03-29T01:30:00.000Z'], // the spring gap: moved forward like java.time
      ['Europe/Berlin', '2026-03-29 03:00:00,000', '2026-03-29T01:00:00.000Z'],
      ['Europe/Berlin', '2026-10-25 02:30:00,000', '2026-10-25T00:30:00.000Z'], // the repeated hour: its first pass
      ['Europe/Berlin', '2026-10-25 03:00:00,000', '2026-10-25T02:00:00.000Z'],
      ['America/New_York', '2026-11-24 23:47:11,780', '2026-11-25T04:47:11.780Z'],
      ['Asia/Kolkata', '2026-06-01 00:00:00,000', '2026-05-31T18:30:00.000Z'],
      ['UTC', '2026-06-01 00:00:00,001', '2026-06-01T00:00:00.001Z'],
    ];
    for (const [zone, wall, want] of table) {
      it(`reads ${wall} in ${zone} as ${want}`, () => {
        const h = flinkDefaultLayout(new ZoneClock(zone)).parse(`${wall} INFO  a.B [] - m`);
        assert.equal(iso(h!.timestampMs), want);
      });
      // No zone configured: the process's local zone through Date (no Intl), gap and overlap read the same way.
      it(`reads ${wall} as ${want} when ${zone} is the local zone (TZ) and none is configured`, () => {
        const saved = process.env['TZ'];
        process.env['TZ'] = zone; // Node re-reads the zone when TZ is assigned
        try {
          const h = flinkDefaultLayout(new ZoneClock()).parse(`${wall} INFO  a.B [] - m`);
          assert.equal(iso(h!.timestampMs), want);
        } finally {
          if (saved === undefined) delete process.env['TZ'];
          else process.env['TZ'] = saved;
        }
      });
    }
  });

  describe('component from the file or unit name', () => {
    const table: Array<[string, string | undefined]> = [
      ['/opt/flink/log/flink-root-standalonesession-0-host.log', 'jobmanager'],
      ['/opt/flink/log/flink-flink-taskexecutor-2-tm-7.log', 'taskmanager'],
      ['flink-jobmanager.service', 'jobmanager'],
      ['/opt/flink/log/flink-root-historyserver-0-h.log', 'historyserver'],
      ['/opt/flink/log/flink-root-sql-gateway-0-h.log', 'sql-gateway'],
      ['/opt/flink/log/flink-root-client-h.log', 'client'],
      ['/var/log/other.log', undefined],
    ];
    for (const [name, want] of table) it(`maps ${name} to ${want}`, () => assert.equal(componentFromName(name), want));
  });
});
