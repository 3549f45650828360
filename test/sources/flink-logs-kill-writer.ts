// Writer process of the kill test: appends Flink-layout records (some with a stack trace, written in one append)
// and rotates the file like log4j2 (x.log → x.log.1, older ones shifted up), paced so a file lives a few polls.
// Usage: node flink-logs-kill-writer.js <file> <records> <rotateEvery>
import { appendFileSync, existsSync, renameSync, writeFileSync } from 'node:fs';

const [file, total, every] = [process.argv[2]!, Number(process.argv[3]), Number(process.argv[4])];
const pad = (n: number, w: number) => String(n).padStart(w, '0');

export function record(seq: number): string {
  const head = `2026-11-24 23:${pad(Math.floor(seq / 60000) % 60, 2)}:${pad(Math.floor(seq / 1000) % 60, 2)},${pad(seq % 1000, 3)} ${seq % 7 === 0 ? 'WARN ' : 'INFO '} org.apache.flink.runtime.taskexecutor.TaskExecutor${' '.repeat(10)} [] - line ${seq}\n`;
  if (seq % 13 !== 0) return head;
  return head + `java.lang.IllegalStateException: failure ${seq}\n\tat org.apache.flink.Foo.bar(Foo.java:${seq})\nCaused by: java.io.IOException: cause ${seq}\n\t... 4 more\n`;
}

async function main(): Promise<void> {
  appendFileSync(file, '');
  for (let seq = 0; seq < total; seq++) {
    appendFileSync(file, record(seq));
    if (seq % every === every - 1) {
      for (let k = 50; k >= 1; k--) if (existsSync(`${file}.${k}`)) renameSync(`${file}.${k}`, `${file}.${k + 1}`);
      renameSync(file, `${file}.1`);
      writeFileSync(file, '');
    }
    if (seq % 20 === 19) await new Promise((r) => setTimeout(r, 10));
  }
}

if (require.main === module) void main();
