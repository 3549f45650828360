// prometheus_remote_write against the real receivers [needs: Prometheus (--web.enable-remote-write-receiver) and
// VictoriaMetrics; start: scripts/env up --only prometheus,victoriametrics]. Asserts what the SERVER stored.
import { strict as assert } from 'node:assert';
import { remoteWriteSink } from '../../src/sinks/prometheus-remote-write';
import { remoteWriteSchema } from '../../src/sinks/prometheus-remote-write/schema';
import type { Sink } from '../../src/sinks/types';
import { ensureServices, type Endpoints } from '../setup/env';
import { pollUntil, randomSuffix, sample, testContext, type TestContext } from './prometheus-remote-write.fixtures';

interface PromVector { metric: Record<string, string>; value: [number, string] }

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

describe('prometheus_remote_write sink [needs: Prometheus at :9090 and VictoriaMetrics at :8428; start: scripts/env up --only prometheus,victoriametrics]', () => {
  let env: Endpoints;
  const sinks: Sink[] = [];
  const signal = new AbortController().signal;
  before(async () => {
    env = await ensureServices(['prometheus', 'victoriametrics']);
  });
  after(async () => {
    for (const s of sinks) await s.close?.();
  });
  function makeSink(url: string): { sink: Sink; ctx: TestContext } {
    const ctx = testContext('rw-int');
    const sink = remoteWriteSink.create(remoteWriteSchema.parse({ type: 'prometheus_remote_write', url, inputs: ['a'] }), ctx);
    sinks.push(sink);
    return { sink, ctx };
  }
  const promQuery = (q: string, atMs: number) =>
    getJson<{ data: { result: PromVector[] } }>(`${env.prometheus}/api/v1/query?query=${encodeURIComponent(q)}&time=${atMs / 1000}`).then((r) => r.data.result);

  it('writes samples Prometheus stores with the right labels, values and timestamps', async () => {
    const name = `fta_rw_int_${randomSuffix()}`;
    const { sink } = makeSink(`${env.prometheus}/api/v1/write`);
    const t = Date.now() - 10_000;
    const result = await sink.send(
      [
        sample(name, { job_name: 'Top Speed', tm_id: 'tm-1', odd: 'a,b="c"\\ é' }, 0.25, t),
        sample(name, { tm_id: 'tm-2', job_name: 'Top Speed', odd: '' }, 7, t),
        sample(name, { job_name: 'Top Speed', tm_id: 'tm-1', odd: 'a,b="c"\\ é' }, 0.5, t + 1000),
      ],
      { signal, attempt: 1 },
    );
    assert.deepEqual(result, { kind: 'ok' });
    const at = await promQuery(name, t + 1000);
    const byTm = Object.fromEntries(at.map((s) => [s.metric.tm_id, s]));
    assert.deepEqual(byTm['tm-1']!.metric, { __name__: name, job_name: 'Top Speed', tm_id: 'tm-1', odd: 'a,b="c"\\ é' });
    assert.equal(byTm['tm-1']!.value[1], '0.5');
    assert.deepEqual(byTm['tm-2']!.metric, { __name__: name, job_name: 'Top Speed', tm_id: 'tm-2' });
    assert.equal(byTm['tm-2']!.value[1], '7');
    // The earlier sample is stored too, at its own millisecond timestamp.
    const range = await getJson<{ data: { result: Array<{ values: Array<[number, string]> }> } }>(
      `${env.prometheus}/api/v1/query?query=${encodeURIComponent(`${name}{tm_id="tm-1"}[5s]`)}&time=${(t + 1000) / 1000}`,
    );
    assert.deepEqual(range.data.result[0]!.values, [[t / 1000, '0.25'], [(t + 1000) / 1000, '0.5']]);
  });

  it('ends a series in Prometheus with the staleness marker', async () => {
    const name = `fta_rw_stale_${randomSuffix()}`;
    const { sink } = makeSink(`${env.prometheus}/api/v1/write`);
    const t = Date.now() - 20_000;
    assert.deepEqual(await sink.send([sample(name, { a: 'b' }, 1, t), sample(name, { a: 'b' }, 0, t + 2000, { stale: true })], { signal, attempt: 1 }), { kind: 'ok' });
    assert.equal((await promQuery(name, t + 1000)).length, 1, 'the sample before the marker is visible');
    // Without the marker the instant query would look back 5 minutes and still find the sample.
    assert.equal((await promQuery(name, t + 3000)).length, 0, 'after the marker the series is stale');
  });

  it('counts an out-of-order answer to a RETRIED request as delivered, and dead-letters it on a first attempt', async () => {
    const name = `fta_rw_dup_${randomSuffix()}`;
    const { sink, ctx } = makeSink(`${env.prometheus}/api/v1/write`);
    const t = Date.now() - 30_000;
    const batch = [sample(name, {}, 1, t), sample(name, {}, 2, t + 1000)];
    assert.deepEqual(await sink.send(batch, { signal, attempt: 1 }), { kind: 'ok' });
    // The same batch again, as after a timeout whose response was lost: Prometheus answers 400 out of order.
    assert.deepEqual(await sink.send(batch, { signal, attempt: 2 }), { kind: 'ok' });
    assert.equal(ctx.counters.get('remote_write_duplicate_on_retry_total'), 2);
    const first = await sink.send([sample(name, {}, 9, t - 5000)], { signal, attempt: 1 });
    assert.equal(first.kind, 'reject');
    assert.match(first.kind === 'reject' ? first.reason : '', /out of order/);
    assert.equal((await promQuery(name, t + 1000))[0]!.value[1], '2', 'the stored value is unchanged');
  });

  it('writes samples VictoriaMetrics stores (read back with /api/v1/export)', async () => {
    const name = `fta_rw_vm_${randomSuffix()}`;
    const { sink } = makeSink(`${env.victoriametrics}/api/v1/write`);
    const t = Date.now() - 5_000;
    assert.deepEqual(await sink.send([sample(name, { job: 'flink', host: 'h 1' }, 42.5, t), sample(name, { job: 'flink', host: 'h 1' }, 43, t + 1000)], { signal, attempt: 1 }), { kind: 'ok' });
    const exported = await pollUntil('VictoriaMetrics to export the series', async () => {
      const res = await fetch(`${env.victoriametrics}/api/v1/export?match[]=${encodeURIComponent(`{__name__="${name}"}`)}`);
      const text = (await res.text()).trim();
      return text ? (JSON.parse(text.split('\n')[0]!) as { metric: Record<string, string>; values: number[]; timestamps: number[] }) : undefined;
    });
    assert.deepEqual(exported.metric, { __name__: name, job: 'flink', host: 'h 1' });
    assert.deepEqual(exported.values, [42.5, 43]);
    assert.deepEqual(exported.timestamps, [t, t + 1000]);
  });

  it('stores scrape after scrape of the same frozen series on both receivers', async () => {
    // From the second batch on, every series' bytes come from the encoder's per-series cache (found by the identity
    // of the frozen labels, as flink_prometheus hands them out): both receivers must store exactly the samples.
    const name = `fta_rw_scrapes_${randomSuffix()}`;
    const labels = Array.from({ length: 50 }, (_, i) => Object.freeze({ job_name: 'Top Speed', task: `t${i % 4}`, subtask_index: String(i) }));
    const t = Date.now() - 60_000;
    const value = (scrape: number, i: number) => (i % 5 === 0 ? 0 : scrape * 100 + i);
    for (const url of [`${env.prometheus}/api/v1/write`, `${env.victoriametrics}/api/v1/write`]) {
      const { sink } = makeSink(url);
      for (let scrape = 0; scrape < 4; scrape++) {
        const batch = labels.map((l, i) => sample(name, l, value(scrape, i), t + scrape * 1000));
        assert.deepEqual(await sink.send(batch, { signal, attempt: 1 }), { kind: 'ok' }, `${url} scrape ${scrape}`);
      }
    }
    const expected = (i: number) => [0, 1, 2, 3].map((scrape) => [(t + scrape * 1000) / 1000, String(value(scrape, i))]);
    const range = await getJson<{ data: { result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> } }>(
      `${env.prometheus}/api/v1/query?query=${encodeURIComponent(`${name}[10s]`)}&time=${(t + 3000) / 1000}`,
    );
    assert.equal(range.data.result.length, labels.length);
    for (const series of range.data.result) assert.deepEqual(series.values, expected(Number(series.metric.subtask_index)), `Prometheus ${series.metric.subtask_index}`);
    const exported = await pollUntil('VictoriaMetrics to export every series', async () => {
      const res = await fetch(`${env.victoriametrics}/api/v1/export?match[]=${encodeURIComponent(`{__name__="${name}"}`)}`);
      const lines = (await res.text()).trim().split('\n').filter(Boolean);
      const parsed = lines.map((l) => JSON.parse(l) as { metric: Record<string, string>; values: number[]; timestamps: number[] });
      return parsed.length === labels.length && parsed.every((p) => p.values.length === 4) ? parsed : undefined;
    });
    for (const series of exported) {
      const i = Number(series.metric.subtask_index);
      assert.deepEqual([series.timestamps, series.values], [[0, 1, 2, 3].map((s) => t + s * 1000), [0, 1, 2, 3].map((s) => value(s, i))], `VictoriaMetrics ${i}`);
    }
  });

  it('passes the healthcheck on both receivers and fails it, naming the URL, on a wrong path', async () => {
    await makeSink(`${env.prometheus}/api/v1/write`).sink.healthcheck!(signal);
    await makeSink(`${env.victoriametrics}/api/v1/write`).sink.healthcheck!(signal);
    await assert.rejects(makeSink(`${env.prometheus}/api/v1/nope`).sink.healthcheck!(signal), /api\/v1\/nope.*HTTP 404/);
  });
});
