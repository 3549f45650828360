// The JSON text of a record the DiskQueue decoded from disk: JSON sinks (file, stdout) need exactly that text, so
// remembering it spares a JSON.stringify per record on the replay path (~25% of the disk-queue cost). Kept under
// a symbol key on the decoded object (which JSON.stringify and Object.keys ignore); a WeakMap of millions of
// entries cost more in GC than it saved. Records a source emitted are never written to.
// Records are immutable once emitted (transforms return new objects), so the text cannot go stale.
import type { TelemetryRecord } from '../model';

const JSON_TEXT = Symbol('json');
type WithJson = TelemetryRecord & { [JSON_TEXT]?: string };

export function rememberJson(record: TelemetryRecord, json: string): void {
  (record as WithJson)[JSON_TEXT] = json;
}

/** `JSON.stringify(record)`, from memory when the record was decoded from that text. Never writes to the record. */
export function recordJson(record: TelemetryRecord): string {
  return (record as WithJson)[JSON_TEXT] ?? JSON.stringify(record);
}
