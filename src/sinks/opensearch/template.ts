// Index templates and the ISM retention policy the sink installs in start(). Explicit mappings, because dynamic
// mapping would guess `text` for every id and make `level`/`job_id` useless for filtering and aggregations.
import type { OpenSearchConfig } from './schema';

/** Strings under labels.* and attributes.* are keywords: they are identifiers, not prose. */
const keywordObject = (path: string) => ({
  [`${path}_keywords`]: { path_match: `${path}.*`, match_mapping_type: 'string', mapping: { type: 'keyword', ignore_above: 1024 } },
});

export const LOG_MAPPINGS = {
  dynamic: 'true',
  dynamic_templates: [keywordObject('labels'), keywordObject('attributes')],
  properties: {
    '@timestamp': { type: 'date', format: 'strict_date_optional_time||epoch_millis' },
    level: { type: 'keyword' },
    logger: { type: 'keyword' },
    message: { type: 'text' },
    thread: { type: 'keyword', ignore_above: 1024 },
    component: { type: 'keyword' },
    stream: { type: 'keyword' },
    log_kind: { type: 'keyword' },
    exception: {
      properties: {
        type: { type: 'keyword' },
        message: { type: 'text' },
        stack: { type: 'text' },
        causes: { properties: { type: { type: 'keyword' }, message: { type: 'text' } } },
      },
    },
    job_id: { type: 'keyword' },
    task_name: { type: 'keyword' },
    checkpoint_id: { type: 'keyword' },
    node: { type: 'keyword' },
    cluster: { type: 'keyword' },
    labels: { type: 'object' },
    attributes: { type: 'object' },
  },
} as const;

export const METRIC_MAPPINGS = {
  dynamic: 'true',
  dynamic_templates: [keywordObject('labels')],
  properties: {
    '@timestamp': { type: 'date', format: 'strict_date_optional_time||epoch_millis' },
    name: { type: 'keyword' },
    value: { type: 'double' },
    metric_type: { type: 'keyword' },
    node: { type: 'keyword' },
    cluster: { type: 'keyword' },
    labels: { type: 'object' },
  },
} as const;

export interface TemplateSpec {
  name: string;
  body: Record<string, unknown>;
}

/** The composable templates for the configured prefixes: logs always, metrics when accepted. */
export function indexTemplates(cfg: OpenSearchConfig): TemplateSpec[] {
  const one = (prefix: string, mappings: object): TemplateSpec => ({
    name: prefix,
    body: {
      // A data stream is named exactly `<prefix>`; daily indices are `<prefix>-YYYY.MM.DD`.
      index_patterns: cfg.data_stream ? [prefix] : [`${prefix}-*`],
      // Above the 100 of common catch-all templates, so ours wins for our indices.
      priority: 200,
      ...(cfg.data_stream ? { data_stream: {} } : {}),
      template: {
        settings: { index: { number_of_shards: cfg.number_of_shards, number_of_replicas: cfg.number_of_replicas } },
        mappings,
      },
      _meta: { managed_by: 'flink-telemetry-agent' },
    },
  });
  const out = [one(cfg.index_prefix, LOG_MAPPINGS)];
  if (cfg.accept_metrics) out.push(one(cfg.metrics_index_prefix, METRIC_MAPPINGS));
  return out;
}

/** Index patterns retention applies to (daily indices, or the hidden backing indices of the data streams). */
export function retentionPatterns(cfg: OpenSearchConfig): string[] {
  const prefixes = cfg.accept_metrics ? [cfg.index_prefix, cfg.metrics_index_prefix] : [cfg.index_prefix];
  return prefixes.map((p) => (cfg.data_stream ? `.ds-${p}-*` : `${p}-*`));
}

/** ISM policy: delete an index once it is `retention_days` old; attached to new indices by ism_template. */
export function ismPolicy(cfg: OpenSearchConfig): TemplateSpec {
  return {
    name: `${cfg.index_prefix}-retention`,
    body: {
      policy: {
        description: `flink-telemetry-agent: delete after ${cfg.retention_days} days`,
        default_state: 'hot',
        states: [
          {
            name: 'hot',
            actions: cfg.data_stream ? [{ rollover: { min_index_age: '1d' } }] : [],
            transitions: [{ state_name: 'delete', conditions: { min_index_age: `${cfg.retention_days}d` } }],
          },
          { name: 'delete', actions: [{ delete: {} }], transitions: [] },
        ],
        ism_template: [{ index_patterns: retentionPatterns(cfg), priority: 100 }],
      },
    },
  };
}
