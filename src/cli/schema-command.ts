// `flink-telemetry-agent schema [--example]`: the JSON Schema of the config, or the commented example config,
// both generated from the one zod schema (`npm run schema` writes them to config/).
import { generateValidExample } from '../config/example';
import { runConfigStages } from '../config/parse';
import { agentConfigSchema, agentJsonSchema, componentDefinitions } from '../config/registered';

/** The commented example; fields a cross-field rule requires are switched on until the example validates. */
export function exampleConfig(): string {
  const validate = (text: string) => {
    const r = runConfigStages(text, 'agent.example.yaml', {}, agentConfigSchema());
    return r.ok ? [] : r.error.problems.map((p) => p.path);
  };
  return generateValidExample(agentJsonSchema(), validate, (section, type) => componentDefinitions[section].find((d) => d.type === type)?.description);
}

export function schemaText(): string {
  return JSON.stringify(agentJsonSchema(), null, 2) + '\n';
}

export function schemaCommand(opts: { example: boolean }): number {
  process.stdout.write(opts.example ? exampleConfig() : schemaText());
  return 0;
}
