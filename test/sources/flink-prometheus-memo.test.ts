// ScrapeMemo: a target's page read against the page before it. Every read must give exactly what a fresh parse
// gives (names, labels, values, types, errors); what the memo adds is that an unchanged series comes back as the
// same frozen label object, which the sinks' per-series caches rely on.
import assert from 'node:assert/strict';
import type { Sample } from '../../src/model';
import { parseExposition } from '../../src/sources/flink-prometheus/parse';
import { ScrapeMemo, type MemoRead } from '../../src/sources/flink-prometheus/scrape-memo';
import { SeriesShaper } from '../../src/sources/flink-prometheus/series';
import { fixture, oneScrape } from './flink-prometheus.context';

const BASE = { cluster: 'c1', node: 'n1' };
const newMemo = (dropLabels: string[] = []) => new ScrapeMemo(new SeriesShaper({ dropLabels, include: [], exclude: [], base: BASE }));
const read = (memo: ScrapeMemo, text: string, scrapeMs = 5000): MemoRead => memo.read(Buffer.from(text), undefined, scrapeMs);
const byName = (r: MemoRead) => new Map(r.samples.map((s) => [`${s.name}${JSON.stringify(s.labels)}`, s]));
/** The same exposition with every sample value replaced by `f(old value)`. */
const revalue = (text: string, f: (v: number) => number) => text.replace(/^([^#\s].*[}\s])(\S+)$/gm, (_, head: string, v: string) => `${head}${f(Number(v))}`);

/** What parseExposition + the agent's labels give for `text`: the reference every read must equal. */
function expected(text: string, scrapeMs = 5000): Sample[] {
  return parseExposition(text).samples.map((p) => {
    const s: Sample = { kind: 'sample', name: p.name, labels: { ...p.labels, ...BASE }, value: p.value, timestampMs: p.timestampMs ?? scrapeMs };
    if (p.metricType) s.metricType = p.metricType;
    return s;
  });
}

describe('flink_prometheus scrape memo', () => {
  const TM = fixture('tm-prom-with-job-1.20.5.txt');

  it('reads a first page exactly like parseExposition', () => {
    const r = read(newMemo(), TM);
    assert.equal(r.errors, 0);
    assert.equal(r.scraped, expected(TM).length);
    assert.deepEqual(r.samples, expected(TM));
  });

  it('gives an unchanged series the same frozen label object on the next page, with the new value', () => {
    const memo = newMemo();
    const first = read(memo, TM);
    const next = revalue(TM, (v) => v + 1);
    const second = read(memo, next, 6000);
    assert.deepEqual(second.samples, expected(next, 6000));
    assert.equal(second.samples.length, first.samples.length);
    second.samples.forEach((s, i) => {
      assert.equal(s.labels, first.samples[i]!.labels, `${s.name}: same object`);
      assert.ok(Object.isFrozen(s.labels));
      assert.equal(s.value, first.samples[i]!.value + 1);
    });
  });

  it('recognises series after lines before them vanished, and reads new lines in between', () => {
    const memo = newMemo();
    const a = ['# TYPE m gauge', 'm{i="1"} 1', 'm{i="2"} 2', 'm{i="3"} 3', 'm{i="4"} 4', 'm_total{i="1"} 9'].join('\n');
    const b = ['# TYPE m gauge', 'm{i="1"} 10', 'm{i="3"} 30', 'm{i="new"} 7', 'm{i="4"} 40', 'm_total{i="1"} 90'].join('\n');
    const before = byName(read(memo, a));
    const after = read(memo, b);
    assert.deepEqual(after.samples, expected(b));
    for (const s of after.samples) {
      const old = before.get(`${s.name}${JSON.stringify(s.labels)}`);
      if (s.labels.i === 'new') assert.equal(old, undefined);
      else assert.equal(s.labels, old!.labels, `${s.name}{i=${s.labels.i}} recognised`);
    }
  });

  it('recognises a series that moved further down the page', () => {
    const memo = newMemo();
    const first = byName(read(memo, 'x{a="1"} 1\ny{a="1"} 2\nz{a="1"} 3'));
    const moved = read(memo, 'y{a="1"} 5\nz{a="1"} 6\nx{a="1"} 4');
    assert.deepEqual(moved.samples.map((s) => [s.name, s.value]), [['y', 5], ['z', 6], ['x', 4]]);
    for (const s of moved.samples) assert.equal(s.labels, first.get(`${s.name}${JSON.stringify(s.labels)}`)!.labels);
  });

  it('counts a bad value on a recognised line, skips only that line, and reports its line number', () => {
    const memo = newMemo();
    read(memo, '# TYPE m gauge\nm{a="1"} 1\nm{a="2"} 2\nm{a="3"} 3');
    const r = read(memo, '# TYPE m gauge\nm{a="1"} 1\nm{a="2"} oops\nm{a="3"} 3 soon');
    assert.equal(r.errors, 2);
    assert.deepEqual(r.firstError, { line: 3, text: 'm{a="2"} oops', reason: 'value "oops" is not a number' });
    assert.deepEqual(r.samples.map((s) => s.labels.a), ['1']);
    assert.equal(r.scraped, 1);
  });

  it('takes timestamps on recognised lines and types them from the # TYPE before them', () => {
    const memo = newMemo();
    const page = (v: number) => `# HELP m_seconds how long\n# TYPE m_seconds summary\nm_seconds_count{a="1"} ${v} 1700000000000\nm_seconds_sum{a="1"} ${v}\n`;
    read(memo, page(1));
    const r = read(memo, page(2), 9);
    assert.deepEqual(r.samples, expected(page(2), 9));
    assert.deepEqual(r.samples.map((s) => [s.metricType, s.timestampMs]), [['summary', 1700000000000], ['summary', 9]]);
  });

  it('reads OpenMetrics, indented lines and CRLF pages like parseExposition, on every read', () => {
    const om = '# TYPE m counter\nm_total{a="1"} 3 1700000000.5 # {trace_id="x"} 1\n  m_total{a="2"} 4\n# EOF\n';
    const crlf = 'm{a="1"} 1\r\nm{a="2"} 2\r\n';
    for (const text of [om, crlf]) {
      const memo = newMemo();
      for (let round = 0; round < 2; round++) assert.deepEqual(read(memo, text).samples, expected(text));
    }
  });

  it('forgets a series absent from a page: it comes back as a new label object', () => {
    const memo = newMemo();
    const first = read(memo, 'm{a="1"} 1\nm{a="2"} 2').samples;
    read(memo, 'm{a="1"} 1');
    const back = read(memo, 'm{a="1"} 1\nm{a="2"} 2').samples;
    assert.equal(back[0]!.labels, first[0]!.labels);
    assert.notEqual(back[1]!.labels, first[1]!.labels);
    assert.deepEqual(back[1]!.labels, first[1]!.labels);
  });

  it('keeps both lines of a series written twice (the series book counts the collision), on every read', () => {
    const shaper = new SeriesShaper({ dropLabels: ['task_attempt_num'], include: [], exclude: [], base: BASE });
    const memo = new ScrapeMemo(shaper);
    const page = 'm{task_attempt_num="0",s="0"} 1\nm{task_attempt_num="1",s="0"} 2\nm{task_attempt_num="0",s="1"} 3\n';
    for (let round = 0; round < 3; round++) {
      const r = memo.read(Buffer.from(page), undefined, 1);
      assert.equal(r.samples.length, 3);
      const shaped = oneScrape(r.series, r.samples);
      assert.equal(shaped.collisions, 1);
      assert.deepEqual([...shaped.series.values()].map((s) => s.value), [2, 3], 'the newer attempt wins');
    }
  });

  it('reads values that are not plain decimals on recognised lines: NaN, ±Inf, 17 digits, exponents', () => {
    const memo = newMemo();
    const page = (v: string[]) => v.map((x, i) => `m{i="${i}"} ${x}`).join('\n');
    read(memo, page(['1', '2', '3', '4', '5']));
    const r = read(memo, page(['NaN', '+Inf', '-Inf', '0.30000000000000004', '1.5E-7']));
    assert.equal(r.errors, 0);
    assert.ok(Number.isNaN(r.samples[0]!.value));
    assert.deepEqual(r.samples.slice(1).map((s) => s.value), [Infinity, -Infinity, 0.30000000000000004, 1.5e-7]);
  });

  it('gives pages that grow and shrink every sample, and no holes', () => {
    const memo = newMemo();
    for (const n of [3, 10, 2, 0, 7]) {
      const r = read(memo, Array.from({ length: n }, (_, i) => `m{i="${i}"} ${i}`).join('\n'));
      assert.equal(r.samples.length, n);
      assert.equal(r.series.length, n);
      assert.deepEqual(r.samples.map((s) => s.value), Array.from({ length: n }, (_, i) => i));
      assert.ok(r.series.every((s, i) => s.key === `m{cluster="c1",i="${i}",node="n1"}`));
    }
  });

  it('leaves out names include/exclude filter, on every read, but counts them as scraped', () => {
    const memo = new ScrapeMemo(new SeriesShaper({ dropLabels: [], include: [/^keep$/], exclude: [], base: BASE }));
    for (let round = 0; round < 2; round++) {
      const r = read(memo, 'keep 1\ndrop{a="1"} 2\nkeep{a="1"} 3');
      assert.deepEqual(r.samples.map((s) => [s.name, s.value]), [['keep', 1], ['keep', 3]]);
      assert.equal(r.scraped, 3);
    }
  });
});
