// The daemon's lifecycle, run as a real process: SIGHUP reloads (an invalid config is rejected and the old one
// keeps running), a second agent cannot share the data directory, SIGTERM exits 0, and traces of collection
// rounds and sink flushes reach an OTLP/HTTP endpoint when tracing is on.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentProcess, freePort, waitFor } from './harness';

function config(dir: string, port: number, extra = '', env = 'test'): string {
  return `agent:
  cluster: lifecycle
  node: n1
  data_dir: ${dir}/data
  labels: { env: ${env} }
  http: { listen: "127.0.0.1:${port}" }
  log: { format: json }
  shutdown_grace: 5s
${extra}
sources:
  host: { type: host, interval: 500ms }
sinks:
  out: { type: file, inputs: [host], batch: { timeout: 100ms } }
`;
}

/** Samples the file sink wrote, as parsed JSON lines. */
function written(dir: string): Array<{ name: string; labels: Record<string, string> }> {
  const out = join(dir, 'data', 'out');
  if (!existsSync(out)) return [];
  return readdirSync(out).flatMap((f) => readFileSync(join(out, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as never));
}

describe('agent lifecycle (a real agent process)', function () {
  this.timeout(120_000);

  it('reloads on SIGHUP, keeps running on an invalid new config, refuses a second agent on its data dir, exits 0 on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fta-life-'));
    const port = await freePort();
    const file = join(dir, 'agent.yaml');
    writeFileSync(file, config(dir, port));
    const agent = new AgentProcess(file, join(dir, 'agent.out'), port);
    agent.start();
    try {
      await agent.waitHealthy();
      await waitFor('host samples in the file sink', () => written(dir).some((s) => s.labels['env'] === 'test'), 20_000);
      await waitFor('/readyz 200', () => fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status === 200), 20_000);

      // An invalid config on SIGHUP: logged with file:line, the running config stays.
      writeFileSync(file, config(dir, port).replace('interval: 500ms', 'interval: soon'));
      agent.signal('SIGHUP');
      await waitFor('the rejection in the log', () => /new configuration rejected, the running one stays/.test(agent.tail(50)), 10_000);
      assert.match(agent.tail(50), /agent\.yaml:\d+:\d+ sources\.host\.interval/);
      const before = written(dir).length;
      await waitFor('samples still flowing after the rejected reload', () => written(dir).length > before, 10_000);

      // A valid one: applied, new samples carry the new label.
      writeFileSync(file, config(dir, port, '', 'reloaded'));
      agent.signal('SIGHUP');
      await waitFor('samples with the reloaded label', () => written(dir).some((s) => s.labels['env'] === 'reloaded'), 20_000);

      // A second agent on the same data directory exits 1 and says why.
      const otherPort = await freePort();
      const otherFile = join(dir, 'other.yaml');
      writeFileSync(otherFile, config(dir, otherPort));
      const other = new AgentProcess(otherFile, join(dir, 'other.out'), otherPort);
      other.start();
      assert.equal(await new Promise<number | null>((r) => setTimeout(async () => r(await other.terminate()), 5000)), 1);
      assert.match(other.tail(), /is in use by another agent \(pid \d+\)/);

      assert.equal(await agent.terminate(), 0);
      assert.equal(existsSync(join(dir, 'data', 'agent.lock')), false, 'the lock is released');
    } finally {
      await agent.terminate().catch(() => undefined);
    }
  });

  it('exports traces of collection rounds and sink flushes over OTLP/HTTP when tracing is on', async () => {
    // No OTLP server (collector, Jaeger) is obtainable on these machines, so a receiver on port 0 captures the
    // protobuf requests and we look for the span names in them.
    const bodies: Buffer[] = [];
    const receiver: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push(Buffer.concat(chunks));
        res.writeHead(200, { 'content-type': 'application/x-protobuf' });
        res.end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const otlpPort = (receiver.address() as { port: number }).port;
    const dir = mkdtempSync(join(tmpdir(), 'fta-trace-'));
    const port = await freePort();
    const file = join(dir, 'agent.yaml');
    writeFileSync(file, config(dir, port, `  tracing: { enabled: true, endpoint: "http://127.0.0.1:${otlpPort}/v1/traces" }`));
    const agent = new AgentProcess(file, join(dir, 'agent.out'), port);
    agent.start();
    try {
      await agent.waitHealthy();
      await waitFor('a sink flush', () => written(dir).length > 0, 20_000);
      assert.equal(await agent.terminate(), 0); // shutdown flushes the span processor
      const all = Buffer.concat(bodies).toString('latin1');
      assert.match(all, /source\.collect/);
      assert.match(all, /sink\.send/);
      assert.match(all, /flink-telemetry-agent/);
    } finally {
      receiver.close();
      await agent.terminate().catch(() => undefined);
    }
  });
});
