// Shared by the opensearch unit and integration tests: a quiet ComponentContext whose counters can be read,
// records shaped like the flink-logs source's, and a _bulk answer captured from OpenSearch 2.19.6.
import pino from 'pino';
import type { ComponentContext } from '../../src/component';
import type { LogRecord, Sample } from '../../src/model';

export function testContext(name: string): { ctx: ComponentContext; counters: Map<string, number> } {
  const counters = new Map<string, number>();
  const ctx: ComponentContext = {
    name,
    agent: { cluster: 'c1', node: 'n1', labels: {}, dataDir: '/nonexistent' },
    logger: pino({ level: 'silent' }),
    metrics: {
      counter: (n) => ({ inc: (by = 1) => void counters.set(n, (counters.get(n) ?? 0) + by) }),
      gauge: () => ({ set: () => undefined }),
    },
    status: { error: () => undefined, ok: () => undefined },
  };
  return { ctx, counters };
}

export function logRecord(i: number, overrides: Partial<LogRecord> = {}): LogRecord {
  return {
    kind: 'log',
    id: `n1:flink-jm.log:1234:${i * 100}`,
    logKind: 'log',
    timestampMs: Date.UTC(2026, 10, 24, 10, 0, 0) + i,
    level: 'INFO',
    message: `Checkpoint ${i} of job 3f2a completed`,
    logger: 'org.apache.flink.runtime.checkpoint.CheckpointCoordinator',
    thread: 'jobmanager-io-thread-1',
    component: 'jobmanager',
    stream: 'log',
    attributes: { job_id: '3f2a9c', checkpoint_id: String(i), file: '/opt/flink/log/flink-jm.log' },
    labels: { cluster: 'c1', node: 'n1', env: 'test' },
    ...overrides,
  };
}

export function sample(i: number, overrides: Partial<Sample> = {}): Sample {
  return {
    kind: 'sample',
    name: 'flink_taskmanager_Status_JVM_CPU_Load',
    labels: { cluster: 'c1', node: 'n1', tm_id: `tm-${i % 3}` },
    value: i / 10,
    timestampMs: Date.UTC(2026, 10, 24, 10, 0, 0) + i * 1000,
    metricType: 'gauge',
    ...overrides,
  };
}

/**
 * POST /_bulk?filter_path=errors,items.*.status,items.*.error.type,items.*.error.reason,items.*.error.caused_by.reason
 * on OpenSearch 2.19.6 (captured 2026-11-25): a create, the same _id again, an object into a keyword field,
 * a dotted key under an existing keyword, a create.
 */
export const CAPTURED_BULK_RESPONSE = {
  errors: true,
  items: [
    { create: { status: 201 } },
    { create: { status: 409, error: { type: 'version_conflict_engine_exception', reason: '[a]: version conflict, document already exists (current version [1])' } } },
    {
      create: {
        status: 400,
        error: {
          type: 'mapper_parsing_exception',
          reason: "failed to parse field [level] of type [keyword] in document with id 'b'. Preview of field's value: '{nested=obj}'",
          caused_by: { reason: "Can't get text on a START_OBJECT at 1:10" },
        },
      },
    },
    {
      create: {
        status: 400,
        error: { type: 'mapper_parsing_exception', reason: 'Could not dynamically add mapping for field [x.y]. Existing mapping for [attributes.x] must be of type object but found [text].' },
      },
    },
    { create: { status: 201 } },
  ],
};
