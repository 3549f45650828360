// Per-vertex figures of a RUNNING job from ONE call per vertex:
//   GET /jobs/:jid/vertices/:vid/subtasks/metrics?get=<ids>&agg=min,max,sum,avg
// which aggregates across the vertex's subtasks. Reporter-named series carry the aggregate a dashboard would
// take over subtasks anyway (max for time ratios, sum for record counts), without `subtask_index`.
import type { Labels } from '../../model';
import type { AggregatedMetricsResponse, VertexInfo } from './responses';
import { type SampleBuilder, sanitizeLabelValue } from './samples';

/** Task-scope metrics asked for (ids carry no subtask prefix on the aggregated endpoint). */
const TIME_METRICS = ['busyTimeMsPerSecond', 'idleTimeMsPerSecond', 'backPressuredTimeMsPerSecond'] as const;
const RECORD_METRICS = ['numRecordsIn', 'numRecordsOut', 'numRecordsInPerSecond', 'numRecordsOutPerSecond'] as const;
const INPUT_WATERMARK = 'currentInputWatermark';
/** Operator-scope ids look like `<operator name>.currentOutputWatermark`; they give a source vertex its watermark. */
const OUTPUT_WATERMARK_SUFFIX = '.currentOutputWatermark';

export const VERTEX_METRICS_AGG = 'min,max,sum,avg';

/** Flink's own thresholds (JobVertexBackPressureHandler): ratio ≤ 0.10 ok, ≤ 0.5 low, above high. */
export function backPressureLevel(ratio: number): 0 | 1 | 2 {
  if (ratio <= 0.1) return 0;
  if (ratio <= 0.5) return 1;
  return 2;
}

/** Labels of the reporter's task scope that a vertex has (task_id is the JobVertexID, as in the reporter). */
export function vertexLabels(jobLabels: Labels, vertex: VertexInfo): Labels {
  return { ...jobLabels, task_id: vertex.id, task_name: sanitizeLabelValue(vertex.name) };
}

/** From a vertex's metric-name list (the call without `get=`), the ids worth asking for. */
export function selectVertexMetricIds(available: AggregatedMetricsResponse): string[] {
  const wanted = new Set<string>([...TIME_METRICS, ...RECORD_METRICS, INPUT_WATERMARK]);
  return available.map((m) => m.id).filter((id) => wanted.has(id) || id.endsWith(OUTPUT_WATERMARK_SUFFIX));
}

/** A watermark is "set" once it is a real epoch time; Flink reports Long.MIN_VALUE before the first one. */
function validWatermark(v: number | undefined): v is number {
  return v !== undefined && v > 0;
}

/** Aggregated metrics of one vertex → samples. `nowMs` is the JobManager's clock when known. */
export function mapVertexMetrics(labels: Labels, agg: AggregatedMetricsResponse, nowMs: number, b: SampleBuilder): void {
  const byId = new Map(agg.map((m) => [m.id, m]));
  for (const name of TIME_METRICS) {
    const m = byId.get(name);
    if (!m) continue;
    b.add(`flink_taskmanager_job_task_${name}`, labels, m.max);
    const ratio = name === 'busyTimeMsPerSecond' ? 'busy' : name === 'idleTimeMsPerSecond' ? 'idle' : 'backpressured';
    if (m.max !== undefined) b.add(`flink_rest_vertex_${ratio}_ratio`, { ...labels, agg: 'max' }, m.max / 1000);
    if (m.avg !== undefined) b.add(`flink_rest_vertex_${ratio}_ratio`, { ...labels, agg: 'avg' }, m.avg / 1000);
  }
  const bp = byId.get('backPressuredTimeMsPerSecond')?.max;
  if (bp !== undefined) b.add('flink_rest_vertex_backpressure_level', labels, backPressureLevel(bp / 1000));
  for (const name of RECORD_METRICS) b.add(`flink_taskmanager_job_task_${name}`, labels, byId.get(name)?.sum);

  // The vertex's input watermark is the slowest subtask's (min). A source vertex has no input watermark; its
  // most advanced operator output watermark (the chain's tail) stands in.
  const input = byId.get(INPUT_WATERMARK)?.min;
  let watermark = validWatermark(input) ? input : undefined;
  if (watermark === undefined) {
    for (const m of agg) {
      if (m.id.endsWith(OUTPUT_WATERMARK_SUFFIX) && validWatermark(m.min) && (watermark === undefined || m.min > watermark)) watermark = m.min;
    }
  }
  if (watermark !== undefined) {
    b.add('flink_rest_vertex_watermark_ms', labels, watermark);
    b.add('flink_rest_vertex_watermark_lag_seconds', labels, Math.max(0, nowMs - watermark) / 1000);
  }
}
