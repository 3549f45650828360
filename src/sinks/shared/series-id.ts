// Deterministic identities shared by the sinks that store samples as rows or documents (OpenSearch, PostgreSQL):
// the same sample replayed after a crash gets the same id, so the server's uniqueness check (409 on `create`,
// ON CONFLICT DO NOTHING) turns a replay into a no-op instead of a duplicate.
import { createHash } from 'node:crypto';
import { seriesKey, type Labels } from '../../model';

/**
 * A signed 64-bit id of the series (name + sorted labels), as a decimal string (PostgreSQL `bigint` text form).
 * The first 8 bytes of SHA-256: collisions need ~4·10⁹ series before they become likely (birthday bound).
 */
export function seriesId64(name: string, labels: Labels): string {
  return createHash('sha256').update(seriesKey(name, labels)).digest().readBigInt64BE(0).toString();
}

/** Document id of one sample: series identity plus timestamp, hex, 32 chars (well under OpenSearch's 512 bytes). */
export function sampleDocId(name: string, labels: Labels, timestampMs: number): string {
  return createHash('sha256').update(seriesKey(name, labels)).update('@' + timestampMs).digest('hex').slice(0, 32);
}
