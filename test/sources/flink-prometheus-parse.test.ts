// The exposition parser against the real reporter outputs captured from Flink 1.20.5 and 2.3.0, and against the
// edge cases of the text 0.0.4 and OpenMetrics formats.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { parseDecimal, parseExposition } from '../../src/sources/flink-prometheus/parse';
import { FIXTURES, fixture } from './flink-prometheus.context';

describe('flink_prometheus exposition parser', () => {
  describe('real Flink reporter output', () => {
    for (const file of readdirSync(FIXTURES).filter((f) => f.endsWith('.txt'))) {
      it(`parses every sample line of ${file} without error`, () => {
        const text = fixture(file);
        const sampleLines = text.split('\n').filter((l) => l.trim() && !l.startsWith('#'));
        const r = parseExposition(text);
        assert.equal(r.errors, 0, JSON.stringify(r.firstError));
        assert.equal(r.samples.length, sampleLines.length);
        for (const s of r.samples) {
          assert.match(s.name, /^flink_(jobmanager|taskmanager)_/);
          assert.ok('host' in s.labels, `${s.name} has the host label`);
          assert.ok(!Number.isNaN(s.value));
        }
      });
    }

    it("reads the TaskManager's labels exactly as Flink writes them, trailing comma included", () => {
      const r = parseExposition(fixture('tm-prom-9250-head30.txt'));
      const s = r.samples[0]!;
      assert.equal(s.name, 'flink_taskmanager_job_task_mailboxMailsPerSecond');
      assert.deepEqual(s.labels, {
        job_id: '90dd68807ad53c566aaa1943540e982a',
        task_id: 'cbc357ccb763df2852fee8c4fc7d55f2',
        task_attempt_id: 'd16fba51a52005b21a0bcc6a2d142b72_cbc357ccb763df2852fee8c4fc7d55f2_0_0',
        host: '127_0_0_1',
        task_name: 'Source:_Car_data_generator_source____Timestamps_Watermarks',
        task_attempt_num: '0',
        job_name: 'CarTopSpeedWindowingExample',
        tm_id: '127_0_0_1:34365_ed41ec',
        subtask_index: '0',
      });
      assert.equal(s.value, 8.233333333333333);
      assert.equal(s.metricType, 'gauge');
      assert.equal(s.timestampMs, undefined);
      const watermark = r.samples.find((x) => x.name === 'flink_taskmanager_job_task_operator_currentInputWatermark')!;
      assert.equal(watermark.value, -9.223372036854776e18);
    });

    it('parses the JobManager exposition of Flink 2.3.0 (f2- fixture) with its gauges typed', () => {
      const r = parseExposition(fixture('f2-jm-prom-9249-head30.txt'));
      assert.ok(r.samples.length > 5);
      assert.ok(r.samples.every((s) => s.labels.host !== undefined && s.metricType === 'gauge'));
    });
  });

  describe('label values', () => {
    it('unescapes \\\\, \\" and \\n', () => {
      const r = parseExposition('m{a="x\\\\y",b="say \\"hi\\"",c="l1\\nl2",d="plain"} 1\n');
      assert.equal(r.errors, 0);
      assert.deepEqual(r.samples[0]!.labels, { a: 'x\\y', b: 'say "hi"', c: 'l1\nl2', d: 'plain' });
    });

    it('keeps a value whose escape is the last character before the closing quote', () => {
      assert.deepEqual(parseExposition('m{a="end\\\\"} 1').samples[0]!.labels, { a: 'end\\' });
    });

    it('accepts blanks around =, and labels named like Object.prototype members', () => {
      const r = parseExposition('m { constructor = "x" , toString="y" } 2');
      assert.equal(r.errors, 0);
      assert.deepEqual(r.samples[0]!.labels, { constructor: 'x', toString: 'y' });
    });

    it('sets dropLabels aside in `dropped` and still rejects them twice', () => {
      const drop = new Set(['task_attempt_id', 'task_attempt_num']);
      const r = parseExposition('m{task_attempt_id="x",a="1",task_attempt_num="2",} 1\nn{b="2"} 2\no{task_attempt_num="1",task_attempt_num="2"} 3', { dropLabels: drop });
      assert.equal(r.errors, 1);
      assert.deepEqual(r.samples[0]!.labels, { a: '1' });
      assert.deepEqual(r.samples[0]!.dropped, { task_attempt_id: 'x', task_attempt_num: '2' });
      assert.equal(r.samples[1]!.dropped, undefined);
    });

    it('reads label names right when consecutive lines order them differently', () => {
      const r = parseExposition('m{a="1",b="2"} 1\nm{b="3",a="4"} 2\nm{ab="5"} 3\nm{a="6"} 4');
      assert.deepEqual(r.samples.map((s) => s.labels), [{ a: '1', b: '2' }, { b: '3', a: '4' }, { ab: '5' }, { a: '6' }]);
    });

    it('parses an empty label set and a sample without braces', () => {
      const r = parseExposition('a{} 1\nb 2\n');
      assert.deepEqual(r.samples.map((s) => [s.name, s.labels, s.value]), [['a', {}, 1], ['b', {}, 2]]);
    });
  });

  describe('values and timestamps', () => {
    it('reads NaN, +Inf, -Inf and exponents', () => {
      const r = parseExposition('a NaN\nb +Inf\nc -Inf\nd 1.5e3\ne -0.0\nf Inf\n');
      assert.equal(r.errors, 0);
      const v = r.samples.map((s) => s.value);
      assert.ok(Number.isNaN(v[0]));
      assert.deepEqual(v.slice(1), [Infinity, -Infinity, 1500, -0, Infinity]);
    });

    it('reads plain decimals from bytes to the double Number() gives, and leaves every other token to the string path', () => {
      const fromBytes = (token: string): number => parseDecimal(Buffer.from(`x ${token}`), 2, token.length + 2);
      // What Java's Double.toString writes (Flink's reporter): all on the byte path.
      for (const t of ['0.0', '-0.0', '1.0', '42', '3.14159', '1.0E-5', '1.797693134862315E10', '0.6666666666666666', '1.2345E22', '+7.5', '5.', '.5']) {
        assert.ok(Object.is(fromBytes(t), Number(t)), t);
      }
      // Not plain, or not exact this way: NaN, so the caller parses the text (and reports what does not parse).
      for (const t of ['NaN', '+Inf', '-Inf', '0x10', '1e', '.', '-', '', '1.5e3x', '1_0', '0.30000000000000004', '1e23', '1e-23', '1e99999']) {
        assert.ok(Number.isNaN(fromBytes(t)), t);
      }
      let onBytePath = 0;
      for (let i = 0; i < 20_000; i++) {
        const x = (Math.random() - 0.5) * 10 ** (Math.floor(Math.random() * 44) - 22);
        for (const t of [String(x), x.toExponential(i % 17), x.toPrecision(1 + (i % 16)).toUpperCase(), x.toFixed(i % 12)]) {
          const v = fromBytes(t);
          if (Number.isNaN(v)) continue;
          onBytePath++;
          assert.ok(Object.is(v, Number(t)), `${t}: ${v} vs ${Number(t)}`);
        }
      }
      assert.ok(onBytePath > 40_000, `${onBytePath} of 80,000 tokens on the byte path`);
    });

    it('types a family from a # TYPE line with extra blanks or an upper-case type', () => {
      const r = parseExposition('# TYPE  m \t COUNTER \nm_total 1\n');
      assert.equal(r.errors, 0);
      assert.equal(r.samples[0]!.metricType, 'counter');
    });

    it('takes text-format timestamps as integer milliseconds', () => {
      const r = parseExposition('m{a="b"} 3 1700000000123\nn 4\n');
      assert.equal(r.samples[0]!.timestampMs, 1700000000123);
      assert.equal(r.samples[1]!.timestampMs, undefined);
    });

    it('takes OpenMetrics timestamps as float seconds', () => {
      const r = parseExposition('# TYPE m gauge\nm 3 1700000000.123\n# EOF\n');
      assert.equal(r.errors, 0);
      assert.equal(r.samples[0]!.timestampMs, 1700000000123);
    });

    it('ignores an OpenMetrics exemplar after the value', () => {
      const r = parseExposition('# TYPE c counter\nc_total 7 # {trace_id="abc"} 1.0\n# EOF\n', { openMetrics: true });
      assert.equal(r.errors, 0);
      assert.equal(r.samples[0]!.value, 7);
      assert.equal(r.samples[0]!.metricType, 'counter');
    });
  });

  describe('families', () => {
    it("types a summary's quantile and _count lines as summary (Flink histograms have no _sum)", () => {
      const text = [
        '# HELP flink_taskmanager_job_latency latency (scope: taskmanager_job)',
        '# TYPE flink_taskmanager_job_latency summary',
        'flink_taskmanager_job_latency{host="h",quantile="0.5",} 1.0',
        'flink_taskmanager_job_latency{host="h",quantile="0.99",} 9.0',
        'flink_taskmanager_job_latency_count{host="h",} 42.0',
        '# TYPE other gauge',
        'other 1',
      ].join('\n');
      const r = parseExposition(text);
      assert.equal(r.errors, 0);
      assert.deepEqual(r.samples.map((s) => [s.name, s.labels.quantile, s.metricType]), [
        ['flink_taskmanager_job_latency', '0.5', 'summary'],
        ['flink_taskmanager_job_latency', '0.99', 'summary'],
        ['flink_taskmanager_job_latency_count', undefined, 'summary'],
        ['other', undefined, 'gauge'],
      ]);
    });

    it('does not type a sample whose name only shares a prefix with the family', () => {
      const r = parseExposition('# TYPE foo counter\nfoobar 1\nfoo_total 2\n');
      assert.equal(r.samples[0]!.metricType, undefined);
      assert.equal(r.samples[1]!.metricType, 'counter');
    });
  });

  describe('malformed input', () => {
    const bad: Array<[string, string]> = [
      ['m{a="b" 1', 'expected "," or "}"'],
      ['m{a="b",', 'unterminated label set'],
      ['m{a="b', 'unterminated value'],
      ['m{a=b} 1', 'double quotes'],
      ['m{a="\\x"} 1', 'invalid escape'],
      ['m{a="1",a="2"} 1', 'appears twice'],
      ['m{1a="x"} 1', 'label name'],
      ['m', 'missing value'],
      ['m one', 'not a number'],
      ['m 0x10', 'not a number'],
      ['m 1 2 3', 'after the timestamp'],
      ['m 1 soon', 'timestamp'],
      ['m-x 1', 'metric name'],
      ['9m 1', 'metric name'],
      ['# TYPE m', '# TYPE'],
      ['# TYPE m sometype', '# TYPE'],
      ['# TYPE m constructor', '# TYPE'],
      ['# TYPE m gauge extra', '# TYPE'],
    ];
    for (const [line, reason] of bad) {
      it(`counts and skips ${JSON.stringify(line)} (${reason})`, () => {
        const r = parseExposition(`ok1 1\n${line}\nok2{x="y"} 2\n`);
        assert.equal(r.errors, 1);
        assert.deepEqual(r.samples.map((s) => s.name), ['ok1', 'ok2']);
        assert.equal(r.firstError!.line, 2);
        assert.equal(r.firstError!.text, line);
        assert.ok(r.firstError!.reason.includes(reason), r.firstError!.reason);
      });
    }

    it('counts every bad line but reports the first', () => {
      const r = parseExposition('a 1\nbad line here\nb 2\n{x="y"} 3\n\n   \nc 3');
      assert.equal(r.errors, 2);
      assert.equal(r.firstError!.line, 2);
      assert.deepEqual(r.samples.map((s) => s.name), ['a', 'b', 'c']);
    });

    it('counts content after # EOF as an error and ignores it', () => {
      const r = parseExposition('a 1\n# EOF\nb 2\n', { openMetrics: true });
      assert.equal(r.errors, 1);
      assert.deepEqual(r.samples.map((s) => s.name), ['a']);
      assert.match(r.firstError!.reason, /after "# EOF"/);
    });

    it('handles CRLF line ends, comments and blank lines', () => {
      const r = parseExposition('# a comment\r\n\r\nm{a="b"} 1\r\n#another\r\nn 2\r\n');
      assert.equal(r.errors, 0);
      assert.deepEqual(r.samples.map((s) => [s.name, s.value]), [['m', 1], ['n', 2]]);
    });

    it('cuts the reported line to 200 characters', () => {
      const r = parseExposition(`m{a="${'x'.repeat(500)}`);
      assert.equal(r.firstError!.text.length, 200);
    });
  });
});
