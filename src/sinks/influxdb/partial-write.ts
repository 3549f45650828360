// InfluxDB answers a batch with some bad points by writing the good ones and returning 400 "partial write: …
// dropped=N". This works out WHICH lines were dropped from the message, so only those are dead-lettered and the
// rest count as delivered. When the message does not say (e.g. "points beyond retention policy"), or what we
// find does not add up to `dropped=N`, it returns undefined and the caller rejects the whole batch: InfluxDB
// overwrites identical points, so a later replay of the dead letters duplicates nothing.
import type { Sample, TelemetryRecord } from '../../model';
import { lineTexts, target, type EncodedLines, type InfluxMapping } from './encode';

/** Go's %q output → the string (Go and JSON escapes agree for what InfluxDB quotes: names and tag values). */
function unquote(quoted: string): string {
  try {
    return JSON.parse(`"${quoted}"`) as string;
  } catch {
    return quoted;
  }
}
const Q = '"((?:[^"\\\\]|\\\\.)*)"';

/** Batch indices of the dropped points, or undefined when the message does not identify them all. */
export function droppedIndices(message: string, batch: EncodedLines, records: readonly TelemetryRecord[], m: InfluxMapping): number[] | undefined {
  const found = new Set<number>();
  const sampleAt = (line: number) => records[batch.indices[line]!] as Sample;

  // "unable to parse '<line>': <why>" — one per bad line, joined with newlines. Lines are matched verbatim.
  const unparsable = [...message.matchAll(/unable to parse '([\s\S]*?)': /g)].map((x) => x[1]!);
  if (unparsable.length) {
    const wanted = new Set(unparsable);
    lineTexts(batch).forEach((line, k) => wanted.has(line) && found.add(k));
  }

  // "field type conflict: input field "value" on measurement "m" is type float, already exists as type integer"
  const conflict = new RegExp(`input field ${Q} on measurement ${Q}`).exec(message);
  if (conflict) {
    const field = unquote(conflict[1]!);
    const measurement = unquote(conflict[2]!);
    batch.indices.forEach((_, k) => {
      const t = target(sampleAt(k).name, m);
      if (t.field === field && t.measurement === measurement) found.add(k);
    });
  }

  // "max-values-per-tag limit exceeded (100001/100000): measurement="m" tag="t" value="v""
  const tagLimit = new RegExp(`measurement=${Q} tag=${Q} value=${Q}`).exec(message);
  if (tagLimit) {
    const [measurement, tag, value] = [unquote(tagLimit[1]!), unquote(tagLimit[2]!), unquote(tagLimit[3]!)];
    batch.indices.forEach((_, k) => {
      const s = sampleAt(k);
      if (target(s.name, m).measurement === measurement && s.labels[tag] === value) found.add(k);
    });
  }

  if (found.size === 0) return undefined;
  const dropped = /dropped=(\d+)/.exec(message);
  if (dropped && Number(dropped[1]) !== found.size) return undefined;
  return [...found].sort((a, b) => a - b).map((k) => batch.indices[k]!);
}
