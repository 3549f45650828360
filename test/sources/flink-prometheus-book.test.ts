// SeriesBook: one target's series kept from round to round — the collision rule, series_limit refusals and stale
// markers, all without a Map built per round.
import assert from 'node:assert/strict';
import type { Sample } from '../../src/model';
import { SampleRows } from '../../src/sources/flink-prometheus/sample-rows';
import { SeriesBook } from '../../src/sources/flink-prometheus/series-book';
import type { ShapedSeries } from '../../src/sources/flink-prometheus/series';

const series = (key: string, attempt = -1): ShapedSeries => ({ name: key, labels: Object.freeze({ k: key }), key, attempt });
const sample = (s: ShapedSeries, value: number): Sample => ({ kind: 'sample', name: s.name, labels: s.labels, value, timestampMs: 1000, metricType: 'gauge' });

/** One round of `book`: the page (key, value, attempt), then the sweep; returns what the round emitted and ended. */
function round(book: SeriesBook, page: Array<[string, number, number?]>, admit: (key: string) => boolean = () => true) {
  const out = new SampleRows(0);
  const ended: string[] = [];
  book.begin();
  const shaped = page.map(([key, , attempt]) => series(key, attempt));
  const result = book.addPage(shaped, page.map(([, v], i) => sample(shaped[i]!, v)), out, admit);
  book.sweep(2000, out, (key) => ended.push(key));
  const all = out.done();
  const stale = all.filter((s) => s.stale);
  return { result, ended, stale, samples: all.filter((s) => !s.stale).map((s) => [s.name, s.value]), markers: stale.map((s) => s.name) };
}

describe('flink_prometheus series book', () => {
  it('keeps one sample per series, the higher task attempt on a collision, on every round', () => {
    const book = new SeriesBook();
    for (let r = 0; r < 3; r++) {
      const { result, samples, markers } = round(book, [['a', 1, 0], ['b', 2], ['a', 3, 1], ['a', 4, 0]]);
      assert.deepEqual(samples, [['a', 3], ['b', 2]]);
      assert.equal(result.collisions, 2);
      assert.equal(result.firstCollision, 'a');
      assert.equal(result.kept, 2);
      assert.deepEqual(markers, []);
    }
  });

  it('ends a vanished series with one marker carrying its labels and type, and tells which key ended', () => {
    const book = new SeriesBook();
    round(book, [['a', 1], ['b', 2]]);
    const second = round(book, [['a', 1]]);
    assert.deepEqual(second.markers, ['b']);
    assert.deepEqual(second.ended, ['b']);
    const marker = second.stale[0]!;
    assert.deepEqual([marker.labels, marker.metricType, marker.timestampMs, Number.isNaN(marker.value)], [{ k: 'b' }, 'gauge', 2000, true]);
    assert.deepEqual(round(book, [['a', 1]]).markers, [], 'the marker is sent once');
    assert.deepEqual(round(book, [['a', 1], ['b', 5]]).samples, [['a', 1], ['b', 5]], 'a series that comes back is new again');
  });

  it('counts what admit refuses; a refused series that was emitted last round ends, one never emitted does not', () => {
    const book = new SeriesBook();
    round(book, [['a', 1], ['b', 2]]);
    const refuseB = (key: string) => key !== 'b' && key !== 'c';
    const second = round(book, [['a', 1], ['b', 2], ['c', 3]], refuseB);
    assert.deepEqual(second.samples, [['a', 1]]);
    assert.equal(second.result.refused, 2);
    assert.equal(second.result.firstRefused, 'b');
    assert.deepEqual(second.markers, ['b']);
    const third = round(book, [['a', 1]]);
    assert.deepEqual(third.markers, [], 'neither b (already ended) nor c (never emitted) gets a marker');
  });

  it('lets put replace a scraped sample of the same series, like a Map set', () => {
    const book = new SeriesBook();
    const out = new SampleRows(0);
    book.begin();
    const up = series('up');
    book.addPage([up, series('x')], [sample(up, 7), sample(series('x'), 8)], out, () => true);
    book.put('up', sample(up, 1), out);
    book.put('scrape_duration_seconds', sample(series('scrape_duration_seconds'), 0.5), out);
    assert.deepEqual(out.done().map((s) => [s.name, s.value]), [['up', 1], ['x', 8], ['scrape_duration_seconds', 0.5]]);
  });

  it('ends, when the target is gone, every series of its last round', () => {
    const book = new SeriesBook();
    round(book, [['a', 1], ['b', 2]]);
    round(book, [['a', 1]]);
    const out = new SampleRows(0);
    const ended: string[] = [];
    book.end(3000, out, (key) => ended.push(key));
    assert.deepEqual(out.done().map((s) => [s.name, s.stale, s.timestampMs]), [['a', true, 3000]]);
    assert.deepEqual(ended, ['a']);
  });
});
