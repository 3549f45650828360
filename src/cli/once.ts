// `flink-telemetry-agent once`: one round of collection from every source (or one), printed and not sent —
// Telegraf's `--test`. Text is for reading (one line per sample or log record, grouped by source); json is NDJSON
// for jq. Exit 0 when every source collected, 1 when any failed.
import { collectOnce } from '../agent';
import type { AgentConfig } from '../config/schema';
import { didYouMean } from '../config/suggest';
import { seriesKey, type TelemetryRecord } from '../model';
import { cliLogger, EXIT_FAILURE, EXIT_OK, UsageError } from './common';

export interface OnceOptions {
  config: AgentConfig;
  source?: string;
  format: 'text' | 'json';
}

export function formatRecord(r: TelemetryRecord): string {
  const time = new Date(r.timestampMs).toISOString();
  if (r.kind === 'sample') return `  ${time} ${seriesKey(r.name, r.labels)} ${r.value}${r.stale ? ' (stale)' : ''}`;
  const attrs = Object.entries(r.attributes).map(([k, v]) => `${k}=${v}`).join(' ');
  const head = `  ${time} ${r.level.padEnd(5)} ${r.logger ? `[${r.logger}] ` : ''}${r.message.split('\n')[0]}`;
  const exception = r.exception ? `\n      ${r.exception.type}: ${r.exception.message}` : '';
  return `${head}${attrs ? `  {${attrs}}` : ''}${exception}`;
}

export async function onceCommand(o: OnceOptions, write: (text: string) => void = (t) => process.stdout.write(t)): Promise<number> {
  if (o.source !== undefined && o.config.sources[o.source] === undefined) {
    const names = Object.keys(o.config.sources);
    throw new UsageError(`once: no source named \`${o.source}\` in the config${didYouMean(o.source, names) || `; sources: ${names.join(', ')}`}`);
  }
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  try {
    const results = await collectOnce(o.config, { ...(o.source !== undefined ? { source: o.source } : {}), signal: abort.signal, logger: cliLogger() });
    let failed = 0;
    for (const res of results) {
      if (res.error !== undefined) {
        failed++;
        process.stderr.write(`source ${res.source} (${res.type}) failed: ${res.error}\n`);
      }
      if (o.format === 'json') {
        for (const record of res.records) write(JSON.stringify({ source: res.source, ...record }) + '\n');
        continue;
      }
      const status = res.error !== undefined ? `failed: ${res.error}` : `${res.records.length} record${res.records.length === 1 ? '' : 's'}`;
      write(`== ${res.source} (${res.type}): ${status}\n`);
      for (const record of res.records) write(formatRecord(record) + '\n');
    }
    return failed > 0 ? EXIT_FAILURE : EXIT_OK;
  } finally {
    process.off('SIGINT', stop);
  }
}
