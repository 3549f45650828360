import assert from 'node:assert/strict';
import type { LogRecord, Sample, TelemetryRecord } from '../../src/model';
import { createRelabel, relabelTransform } from '../../src/transforms/relabel';
import { createFilter, filterTransform } from '../../src/transforms/filter';

const sample = (name: string, labels: Record<string, string> = {}): Sample => ({ kind: 'sample', name, labels, value: 1, timestampMs: 0 });
const log = (level: LogRecord['level'], logger: string | undefined, attributes: Record<string, string> = {}): LogRecord => ({
  kind: 'log', id: `${level}-${logger}`, logKind: 'log', timestampMs: 0, level, message: 'm', attributes, labels: { node: 'n' }, ...(logger ? { logger } : {}),
});

function countingMetrics() {
  const counts = new Map<string, number>();
  return {
    counts,
    metrics: {
      counter: (name: string) => ({ inc: (n = 1) => void counts.set(name, (counts.get(name) ?? 0) + n) }),
      gauge: () => ({ set: () => undefined }),
    },
  };
}

describe('relabel transform', () => {
  const cfg = relabelTransform.schema.parse({
    type: 'relabel', inputs: ['x'],
    rename: { tm_id: 'taskmanager_id' }, drop: ['task_attempt_id'], set: { env: 'prod' }, add: { team: 'streaming', job_name: 'default' },
  });

  it('renames, drops, sets and adds sample labels in that order, without touching the input', () => {
    const input = sample('flink_x', { tm_id: 'tm-1', task_attempt_id: 'a1', env: 'dev', job_name: 'wordcount' });
    const [out] = createRelabel(cfg).apply([input]);
    assert.deepEqual((out as Sample).labels, { taskmanager_id: 'tm-1', env: 'prod', job_name: 'wordcount', team: 'streaming' });
    assert.deepEqual(input.labels, { tm_id: 'tm-1', task_attempt_id: 'a1', env: 'dev', job_name: 'wordcount' });
  });

  it('changes log attributes, not the agent labels of a log record', () => {
    const [out] = createRelabel(cfg).apply([log('INFO', 'a', { tm_id: 't' })]) as LogRecord[];
    assert.deepEqual(out!.attributes, { taskmanager_id: 't', env: 'prod', team: 'streaming', job_name: 'default' });
    assert.deepEqual(out!.labels, { node: 'n' });
  });

  it('apply_to limits the change to samples or logs', () => {
    const onlySamples = createRelabel({ ...cfg, apply_to: 'samples' });
    const records: TelemetryRecord[] = [sample('s'), log('INFO', 'a')];
    const [s, l] = onlySamples.apply(records);
    assert.equal((s as Sample).labels['env'], 'prod');
    assert.equal(l, records[1]);
  });

  it('defaults every operation to nothing', () => {
    assert.deepEqual(relabelTransform.schema.parse({ type: 'relabel', inputs: ['x'] }), { type: 'relabel', inputs: ['x'], rename: {}, drop: [], set: {}, add: {}, apply_to: 'all' });
  });
});

describe('filter transform', () => {
  const parse = (o: object) => filterTransform.schema.parse({ type: 'filter', inputs: ['x'], ...o });

  const cases: Array<[string, object, TelemetryRecord[], string[]]> = [
    ['keeps everything by default', {}, [sample('a'), log('TRACE', 'x')], ['a', 'TRACE-x']],
    ['keeps samples whose name fully matches', { metrics: { keep: ['flink_jobmanager_.*'] } }, [sample('flink_jobmanager_x'), sample('flink_taskmanager_x'), sample('xflink_jobmanager_')], ['flink_jobmanager_x']],
    ['drops after keep', { metrics: { keep: ['flink_.*'], drop: ['.*_latency'] } }, [sample('flink_a'), sample('flink_a_latency')], ['flink_a']],
    ['drops logs below min_level', { logs: { min_level: 'warn' } }, [log('INFO', 'a'), log('WARN', 'a'), log('FATAL', 'a')], ['WARN-a', 'FATAL-a']],
    ['keeps and drops by logger; no logger matches as ""', { logs: { keep_loggers: ['org\\.apache\\.flink\\..*', ''], drop_loggers: ['.*Checkpoint.*'] } },
      [log('INFO', 'org.apache.flink.runtime.X'), log('INFO', 'org.apache.flink.CheckpointCoordinator'), log('INFO', 'com.acme.Y'), log('INFO', undefined)],
      ['INFO-org.apache.flink.runtime.X', 'INFO-undefined']],
  ];
  for (const [title, options, input, expected] of cases) {
    it(title, () => {
      const { metrics } = countingMetrics();
      const out = createFilter(parse(options), { metrics }).apply(input);
      assert.deepEqual(out.map((r) => (r.kind === 'sample' ? r.name : r.id)), expected);
    });
  }

  it('counts what it drops', () => {
    const { counts, metrics } = countingMetrics();
    const f = createFilter(parse({ logs: { min_level: 'error' } }), { metrics });
    f.apply([log('INFO', 'a'), log('ERROR', 'a'), log('DEBUG', 'a')]);
    f.apply([log('INFO', 'a')]);
    assert.equal(counts.get('filter_dropped_records_total'), 3);
  });

  it('rejects an invalid regular expression with the reason', () => {
    const r = filterTransform.schema.safeParse({ type: 'filter', inputs: ['x'], metrics: { keep: ['flink_(' ] } });
    assert.equal(r.success, false);
    assert.match(r.error!.issues[0]!.message, /^"flink_\(" is not a valid regular expression \(Invalid regular expression: .*\)$/);
    assert.deepEqual(r.error!.issues[0]!.path, ['metrics', 'keep', 0]);
  });
});
