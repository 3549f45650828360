// `npm run bench`: runs every bench/*.bench.js (or those named on the command line), writes each result to
// bench/results/<name>.json and prints a summary. Targets are checked in bench/README.md, not asserted here:
// these machines are noisy, so every figure is a ratio against a baseline measured in the same run.
import { readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BenchResult } from './types';

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const dir = __dirname;
  const resultsDir = resolve(dir, '..', '..', 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const files = readdirSync(dir).filter((f) => f.endsWith('.bench.js') && (only.length === 0 || only.some((o) => f.startsWith(o))));
  let failed = 0;
  for (const file of files) {
    const started = Date.now();
    process.stdout.write(`\n== ${file}\n`);
    try {
      const mod = (await import(join(dir, file))) as { run(): Promise<BenchResult> };
      const result = await mod.run();
      const out = { ...result, at: new Date().toISOString(), seconds: Math.round((Date.now() - started) / 1000), node: process.version };
      writeFileSync(join(resultsDir, `${result.name}.json`), JSON.stringify(out, null, 2) + '\n');
      for (const [k, v] of Object.entries(result.metrics)) process.stdout.write(`  ${k.padEnd(44)} ${Number.isInteger(v) ? v : v.toFixed(3)}\n`);
      for (const n of result.notes ?? []) process.stdout.write(`  note: ${n}\n`);
    } catch (err) {
      failed++;
      process.stdout.write(`  FAILED: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }
  process.exitCode = failed ? 1 : 0;
}

void main();
