// The sink servers scripts/env starts are real and answer on loopback.
import * as assert from 'node:assert/strict';
import { Client } from 'pg';
import { ensureServices, type Endpoints } from '../setup/env';

describe('env: sink servers', function () {
  this.timeout(600000);
  let ep: Endpoints;
  before(async () => {
    ep = await ensureServices(['opensearch', 'influxdb', 'prometheus', 'victoriametrics', 'postgres']);
  });

  it('OpenSearch 2.19 answers _cluster/health and new indices are green (replicas 0)', async () => {
    const root = (await (await fetch(ep.opensearch)).json()) as { version: { number: string } };
    assert.match(root.version.number, /^2\.19\./);
    const index = `env-smoke-${process.pid}-${Date.now()}`;
    assert.equal((await fetch(`${ep.opensearch}/${index}`, { method: 'PUT' })).status, 200);
    try {
      const h = (await (await fetch(`${ep.opensearch}/_cluster/health/${index}?wait_for_status=green&timeout=30s`)).json()) as { status: string };
      assert.equal(h.status, 'green');
    } finally {
      await fetch(`${ep.opensearch}/${index}`, { method: 'DELETE' });
    }
  });

  it('InfluxDB 1.x answers /ping with 204 and a version header', async () => {
    const r = await fetch(`${ep.influxdb}/ping`);
    assert.equal(r.status, 204);
    assert.match(r.headers.get('x-influxdb-version') ?? '', /^1\./);
  });

  it('Prometheus is ready and accepts remote write (the receiver flag is on)', async () => {
    const r = await fetch(`${ep.prometheus}/-/ready`);
    assert.equal(r.status, 200);
    // an empty body is not valid snappy: 400 proves the remote-write endpoint exists (404 without the flag)
    const w = await fetch(`${ep.prometheus}/api/v1/write`, { method: 'POST', body: 'x' });
    assert.equal(w.status, 400);
  });

  it('VictoriaMetrics answers /health and serves a sample written a moment ago', async () => {
    assert.equal(await (await fetch(`${ep.victoriametrics}/health`)).text(), 'OK');
    const name = `env_smoke_${process.pid}_${Date.now()}`;
    const w = await fetch(`${ep.victoriametrics}/api/v1/import/prometheus`, { method: 'POST', body: `${name} 42\n` });
    assert.equal(w.status, 204);
    await fetch(`${ep.victoriametrics}/internal/force_flush`);
    const deadline = Date.now() + 30000;
    let values: unknown[] = [];
    while (Date.now() < deadline) {
      const q = (await (await fetch(`${ep.victoriametrics}/api/v1/query?query=${name}`)).json()) as { data: { result: { value: unknown[] }[] } };
      if (q.data.result.length) {
        values = q.data.result[0]!.value;
        break;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(values[1], '42');
  });

  it('PostgreSQL answers SELECT 1 in the test database', async () => {
    const c = new Client({ ...ep.postgres });
    await c.connect();
    try {
      const r = await c.query<{ one: number; db: string }>('SELECT 1 AS one, current_database() AS db');
      assert.deepEqual(r.rows[0], { one: 1, db: 'fta_test' });
    } finally {
      await c.end();
    }
  });
});
