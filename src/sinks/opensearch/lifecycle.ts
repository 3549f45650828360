// What the sink does besides sending: install the index templates (start), detect ISM and install a retention
// policy when it exists, otherwise enforce retention itself (housekeeping): delete daily indices past
// retention_days, and for data streams roll the write index over daily and delete old backing indices.
import { dayStart, isExpiredDay, parseDay } from '../shared/days';
import { reasonOf } from '../shared/result';
import { classifyRequestStatus, type OpenSearchClient, type RawResponse } from './client';
import type { OpenSearchConfig } from './schema';
import { indexTemplates, ismPolicy, retentionPatterns } from './template';

/** `path`: the request's, so a failure names the whole URL (a wrong path prefix in url shows there). */
function ensureOk(res: RawResponse, what: string, client: OpenSearchClient, path: string): void {
  if (res.status >= 200 && res.status < 300) return;
  throw new Error(`${what} failed: ${reasonOf(classifyRequestStatus(res, client.url + path), `HTTP ${res.status}`)}`);
}

export async function installTemplates(client: OpenSearchClient, cfg: OpenSearchConfig, signal: AbortSignal): Promise<void> {
  for (const t of indexTemplates(cfg)) {
    const path = `/_index_template/${encodeURIComponent(t.name)}`;
    ensureOk(await client.request('PUT', path, { body: t.body, signal }), `installing index template ${t.name}`, client, path);
  }
}

/**
 * Whether the Index State Management plugin answers. Absent on minimal/integ-test builds: OpenSearch then says
 * 400 "no handler found for uri" (seen on 2.19.6), some proxies 404.
 */
export async function hasIsm(client: OpenSearchClient, signal: AbortSignal): Promise<boolean> {
  const path = '/_plugins/_ism/policies';
  const res = await client.request('GET', path, { query: { size: '1' }, signal });
  if (res.status >= 200 && res.status < 300) return true;
  if (res.status === 404 || res.status === 400) return false;
  ensureOk(res, 'detecting the ISM plugin', client, path);
  return false;
}

/** Creates or updates the retention policy. An update needs the current seq_no/primary_term (optimistic locking). */
export async function installIsmPolicy(client: OpenSearchClient, cfg: OpenSearchConfig, signal: AbortSignal): Promise<void> {
  const policy = ismPolicy(cfg);
  const path = `/_plugins/_ism/policies/${encodeURIComponent(policy.name)}`;
  const current = await client.request('GET', path, { signal });
  const existing = current.body as { _seq_no?: number; _primary_term?: number } | null;
  const query: Record<string, string> =
    current.status === 200 && existing?._seq_no !== undefined
      ? { if_seq_no: String(existing._seq_no), if_primary_term: String(existing._primary_term) }
      : {};
  ensureOk(await client.request('PUT', path, { body: policy.body, query, signal }), `installing ISM policy ${policy.name}`, client, path);
}

interface CatIndex {
  index: string;
  'creation.date'?: string;
}

async function listIndices(client: OpenSearchClient, pattern: string, signal: AbortSignal): Promise<CatIndex[]> {
  const path = `/_cat/indices/${pattern}`;
  const res = await client.request('GET', path, {
    query: { format: 'json', h: 'index,creation.date', expand_wildcards: 'all' },
    signal,
  });
  if (res.status === 404) return [];
  ensureOk(res, `listing indices ${pattern}`, client, path);
  return Array.isArray(res.body) ? (res.body as CatIndex[]) : [];
}

/**
 * Indices past retention. A daily index is judged by the day in its name (the record time, so late data lands
 * in, and leaves with, its own day); a data stream backing index by its creation date, and never the write index.
 */
export function expiredIndices(indices: readonly CatIndex[], cfg: OpenSearchConfig, writeIndices: ReadonlySet<string>, now = Date.now()): string[] {
  const prefixes = cfg.accept_metrics ? [cfg.index_prefix, cfg.metrics_index_prefix] : [cfg.index_prefix];
  const out: string[] = [];
  for (const { index, 'creation.date': created } of indices) {
    if (cfg.data_stream) {
      if (writeIndices.has(index) || created === undefined) continue;
      if (isExpiredDay(dayStart(Number(created)), cfg.retention_days, now)) out.push(index);
      continue;
    }
    const prefix = prefixes.find((p) => index.startsWith(p + '-'));
    if (prefix === undefined) continue;
    const day = parseDay(index.slice(prefix.length + 1), '.');
    if (day !== undefined && isExpiredDay(day, cfg.retention_days, now)) out.push(index);
  }
  return out;
}

/** The current write index of each of our data streams (absent streams are skipped). */
async function writeIndicesOf(client: OpenSearchClient, cfg: OpenSearchConfig, signal: AbortSignal): Promise<Set<string>> {
  const out = new Set<string>();
  const streams = cfg.accept_metrics ? [cfg.index_prefix, cfg.metrics_index_prefix] : [cfg.index_prefix];
  for (const name of streams) {
    const path = `/_data_stream/${name}`;
    const res = await client.request('GET', path, { signal });
    if (res.status === 404) continue;
    ensureOk(res, `reading data stream ${name}`, client, path);
    for (const ds of (res.body as { data_streams?: Array<{ indices?: Array<{ index_name: string }> }> }).data_streams ?? []) {
      const last = ds.indices?.at(-1);
      if (last) out.add(last.index_name);
    }
  }
  return out;
}

/** Agent-side retention when ISM is absent. Returns the indices it deleted. */
export async function enforceRetention(client: OpenSearchClient, cfg: OpenSearchConfig, signal: AbortSignal, now = Date.now()): Promise<string[]> {
  if (cfg.retention_days <= 0) return [];
  if (cfg.data_stream) {
    // Roll over once a day so whole days become deletable (the write index itself never is).
    for (const name of cfg.accept_metrics ? [cfg.index_prefix, cfg.metrics_index_prefix] : [cfg.index_prefix]) {
      const path = `/${name}/_rollover`;
      const res = await client.request('POST', path, { body: { conditions: { max_age: '1d' } }, signal });
      if (res.status !== 404 && res.status !== 400) ensureOk(res, `rolling over data stream ${name}`, client, path);
    }
  }
  const writeIndices = cfg.data_stream ? await writeIndicesOf(client, cfg, signal) : new Set<string>();
  const indices: CatIndex[] = [];
  for (const pattern of retentionPatterns(cfg)) indices.push(...(await listIndices(client, pattern, signal)));
  const expired = expiredIndices(indices, cfg, writeIndices, now);
  // Deleted in small groups: the URL stays short and one refusal does not block the rest of the list.
  for (let i = 0; i < expired.length; i += 20) {
    const group = expired.slice(i, i + 20);
    const path = `/${group.join(',')}`;
    ensureOk(await client.request('DELETE', path, { signal }), `deleting expired indices ${group.join(',')}`, client, path);
  }
  return expired;
}
