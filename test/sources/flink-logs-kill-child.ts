// Child process of the kill test: runs the flink_logs source with the agent's real SourceStateStore and an emit
// that appends each record to an NDJSON file (synchronously) before it resolves, i.e. "durably delivered".
// Usage: node flink-logs-kill-child.js <logDir> <dataDir> <out.ndjson>
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { SourceStateStore } from '../../src/pipeline/source-state';
import { flinkLogsSource } from '../../src/sources/flink-logs';
import { testContext } from './flink-logs-harness';

async function main(): Promise<void> {
  const [logDir, dataDir, out] = process.argv.slice(2) as [string, string, string];
  const state = await SourceStateStore.open(dataDir, 'logs');
  const ctx = testContext({
    state,
    emit: async (records) => {
      appendFileSync(out, records.map((r) => JSON.stringify(r) + '\n').join(''));
      // Widen the window between "delivered" and "committed" so kills land in it: replays must keep their ids.
      await new Promise((r) => setTimeout(r, 30));
    },
  });
  const cfg = flinkLogsSource.schema.parse({
    type: 'flink_logs', paths: [join(logDir, '*.log')], scan_interval: '200ms', poll_interval: '20ms', multiline_timeout: '200ms', batch_max_records: 100,
  });
  process.on('SIGTERM', () => ctx.controller.abort());
  await flinkLogsSource.create(cfg, ctx).run!();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
