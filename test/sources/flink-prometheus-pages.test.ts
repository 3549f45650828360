// PageBuffers: a target's pages alternate between two long-lived buffers, so a steady scrape allocates no page.
// The one thing that must never happen is writing a page into the buffer that holds the page the memo compares
// against; the ScrapeMemo test at the end reads several rounds through them and must equal a fresh parse each time.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpGet } from '../../src/sources/flink-prometheus/http-get';
import { PageBuffers } from '../../src/sources/flink-prometheus/page-buffers';
import { parseExposition } from '../../src/sources/flink-prometheus/parse';
import { ScrapeMemo } from '../../src/sources/flink-prometheus/scrape-memo';
import { SeriesShaper } from '../../src/sources/flink-prometheus/series';
import { fixture } from './flink-prometheus.context';

/** Collects `text` into `pages` as a response would arrive: in chunks of `chunk` bytes, without a length hint. */
function collect(pages: PageBuffers, keep: Buffer, text: string, chunk = 1000): Buffer {
  const bytes = Buffer.from(text);
  pages.begin(keep).start(0);
  for (let at = 0; at < bytes.length; at += chunk) pages.write(bytes.subarray(at, at + chunk));
  return pages.end();
}

/** Writes `text` into pages already begun (as httpGet does after ScrapeMemo.nextPage()). */
function collectInto(pages: PageBuffers, text: string): Buffer {
  const bytes = Buffer.from(text);
  pages.start(0);
  for (let at = 0; at < bytes.length; at += 4096) pages.write(bytes.subarray(at, at + 4096));
  return pages.end();
}

describe('flink_prometheus page buffers', () => {
  it('writes each page beside the kept one and reuses the older buffer from the third page on', () => {
    const pages = new PageBuffers();
    const a = collect(pages, Buffer.alloc(0), 'a'.repeat(200_000));
    const b = collect(pages, a, 'b'.repeat(150_000));
    assert.notEqual(b.buffer, a.buffer);
    assert.equal(a.toString(), 'a'.repeat(200_000), 'the kept page is untouched');
    assert.equal(b.toString(), 'b'.repeat(150_000));
    const c = collect(pages, b, 'c'.repeat(180_000));
    assert.equal(c.buffer, a.buffer, 'no new allocation for a page that fits');
    assert.equal(b.toString(), 'b'.repeat(150_000));
    assert.equal(c.toString(), 'c'.repeat(180_000));
  });

  it('keeps what it wrote when a page outgrows its buffer, and uses Content-Length to size it once', () => {
    const pages = new PageBuffers();
    const text = Array.from({ length: 5000 }, (_, i) => `line ${i}`).join('\n');
    assert.equal(collect(pages, Buffer.alloc(0), text, 7).toString(), text);
    pages.begin(Buffer.alloc(0)).start(3_000_000);
    const sized = pages.end().buffer;
    pages.write(Buffer.from('x'));
    assert.equal(pages.end().buffer, sized);
    assert.ok(sized.byteLength >= 3_000_000);
  });

  it('lets go of a buffer far larger than the pages now are', () => {
    const pages = new PageBuffers();
    const big1 = collect(pages, Buffer.alloc(0), 'x'.repeat(4_000_000));
    const big2 = collect(pages, big1, 'y'.repeat(4_000_000));
    const small1 = collect(pages, big2, 'z'.repeat(100), 100); // into big1's buffer: the kept page (big2) is large
    assert.equal(small1.buffer, big1.buffer);
    const small2 = collect(pages, small1, 'w'.repeat(100), 100); // big2's buffer is > 4× the kept page: dropped
    assert.ok(small2.buffer.byteLength < 1_000_000, `buffer of ${small2.buffer.byteLength} bytes`);
    assert.equal(small2.toString(), 'w'.repeat(100));
  });

  it('reads a target round after round through them exactly like a fresh parse (ScrapeMemo.nextPage)', () => {
    const memo = new ScrapeMemo(new SeriesShaper({ dropLabels: [], include: [], exclude: [], base: {} }));
    const tm = fixture('tm-prom-with-job-1.20.5.txt');
    for (let round = 1; round <= 4; round++) {
      // Values change every round; in round 3 a series is renamed in place (same length, same offset), which only a
      // comparison against the previous page, not against itself, tells apart.
      let text = tm.replace(/^([^#\s].*[}\s])(\S+)$/gm, (_, head: string, v: string) => `${head}${Number(v) + round}`);
      if (round === 3) text = text.replace(/^flink_taskmanager_Status_JVM_CPU_Load{/m, 'flink_taskmanager_Status_JVM_CPU_Lost{');
      const pages = memo.nextPage();
      const read = memo.read(collectInto(pages, text), undefined, 1000 * round);
      const fresh = parseExposition(text).samples;
      assert.equal(read.errors, 0);
      if (round === 3) assert.ok(fresh.some((s) => s.name === 'flink_taskmanager_Status_JVM_CPU_Lost'));
      assert.deepEqual(read.samples.map((s) => [s.name, s.labels, s.value]), fresh.map((s) => [s.name, s.labels, s.value]), `round ${round}`);
    }
  });

  describe('httpGet into page buffers', () => {
    let server: Server;
    let url: string;
    before(async () => {
      server = createServer((_req, res) => {
        res.write('first chunk\n');
        setTimeout(() => res.end('late chunk\n'), 300); // after the GET's 100 ms time limit
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
    });
    after(() => server.close());

    it('stops writing into the buffer once the GET timed out (the next round may be using it)', async () => {
      const pages = new PageBuffers();
      const writes: string[] = [];
      const spy = Object.assign(Object.create(pages) as PageBuffers, { write: (c: Buffer) => writes.push(c.toString()) });
      await assert.rejects(httpGet(url, 100, new AbortController().signal, undefined, spy), /longer than 100 ms/);
      await new Promise((r) => setTimeout(r, 400));
      assert.deepEqual(writes, ['first chunk\n']);
    });
  });
});
