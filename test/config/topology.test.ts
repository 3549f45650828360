import assert from 'node:assert/strict';
import { formatProblem } from '../../src/errors';
import { parseConfigWith, runConfigStages } from '../../src/config/parse';
import { fakeSchema } from './fixtures';

const SOURCES = 'sources:\n  prom:\n    type: scrape\n    url: http://127.0.0.1:9249/\n  logs:\n    type: tail\n    paths: [/var/log/x.log]\n';

function topologyErrors(text: string): string[] {
  const r = runConfigStages(text, 'agent.yaml', {}, fakeSchema);
  if (r.ok) throw new Error('expected a topology error');
  assert.equal(r.stage, 'topology');
  assert.equal(r.error.code, 'AGT_TOPOLOGY_INVALID');
  return r.error.problems.map(formatProblem);
}

const sink = (inputs: string) => `sinks:\n  search:\n    type: search\n    url: http://127.0.0.1:9200\n    inputs: ${inputs}\n`;

describe('config topology', () => {
  it('accepts sources → transforms → sinks and warns about a source nobody reads', () => {
    const text = SOURCES + 'transforms:\n  tidy:\n    type: relabel\n    inputs: [prom]\n' + sink('[tidy]');
    const loaded = parseConfigWith(text, 'agent.yaml', {}, fakeSchema);
    assert.deepEqual(loaded.warnings.map(formatProblem), ['agent.yaml:5:3 sources.logs: source `logs` is not an input of any sink or transform; what it collects goes nowhere']);
  });

  it('rejects an unknown input with did-you-mean', () => {
    assert.deepEqual(topologyErrors(SOURCES + sink('[prom, lgos]')), ['agent.yaml:12:20 sinks.search.inputs[1]: unknown input `lgos`; did you mean `logs`?']);
  });

  it('lists the known inputs when nothing is close', () => {
    assert.deepEqual(topologyErrors(SOURCES + sink('[prom, logs, kafka_consumer]')), [
      'agent.yaml:12:26 sinks.search.inputs[2]: unknown input `kafka_consumer`; known inputs: `prom`, `logs`',
    ]);
  });

  it('rejects a sink as an input and a transform reading itself', () => {
    const text = SOURCES + 'transforms:\n  t:\n    type: filter\n    inputs: [t, search]\n' + sink('[prom, logs, t]');
    assert.deepEqual(topologyErrors(text), [
      'agent.yaml:11:14 transforms.t.inputs[0]: `t` cannot read its own output',
      'agent.yaml:11:17 transforms.t.inputs[1]: `search` is a sink; inputs name sources or transforms',
    ]);
  });

  it('rejects a cycle through transforms', () => {
    const text =
      SOURCES +
      'transforms:\n  a:\n    type: relabel\n    inputs: [prom, c]\n  b:\n    type: filter\n    inputs: [a]\n  c:\n    type: filter\n    inputs: [b]\n' +
      sink('[logs, c]');
    assert.deepEqual(topologyErrors(text), ['agent.yaml:11:20 transforms.a.inputs[1]: transforms form a cycle: a → b → c → a; records would loop forever']);
  });

  it('rejects a config without sources or sinks, and duplicate names', () => {
    assert.deepEqual(topologyErrors('sources: {}\nsinks: {}\n'), [
      'agent.yaml:1:1 sources: no sources are configured; add at least one under `sources:`',
      'agent.yaml:2:1 sinks: no sinks are configured; add at least one under `sinks:`',
    ]);
    const dup = SOURCES + 'transforms:\n  prom:\n    type: filter\n    inputs: [logs]\n' + sink('[prom]');
    assert.deepEqual(topologyErrors(dup), ['agent.yaml:9:3 transforms.prom: the name `prom` is already used in `sources`; component names must be unique']);
  });

  it('rejects a sink without inputs (schema stage)', () => {
    const r = runConfigStages(SOURCES + 'sinks:\n  search:\n    type: search\n    url: http://127.0.0.1:9200\n', 'agent.yaml', {}, fakeSchema);
    assert.equal(r.ok, false);
    if (!r.ok) assert.deepEqual(r.error.problems.map(formatProblem), ['agent.yaml:9:3 sinks.search.inputs: `inputs` is required: a list (Names of the sources (or transforms) whose records this sink receives)']);
  });
});
