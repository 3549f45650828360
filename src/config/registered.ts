// The config schema of this build: every source, transform and sink in the registries. Kept apart from
// schema.ts so tests can build a schema from small fake definitions without loading every component.
import type { z } from 'zod';
import { sinkDefinitions } from '../sinks/registry';
import { sourceDefinitions } from '../sources/registry';
import { transformDefinitions } from '../transforms/registry';
import { toJsonSchema, type JsonSchema } from './json-schema';
import { buildAgentSchema, type AgentConfig, type ComponentDefinitions } from './schema';

export const componentDefinitions: ComponentDefinitions = {
  sources: sourceDefinitions,
  transforms: transformDefinitions,
  sinks: sinkDefinitions,
};

let schema: z.ZodType<AgentConfig, unknown> | undefined;

/** The schema of the config file, built once from the registries. */
export function agentConfigSchema(): z.ZodType<AgentConfig, unknown> {
  schema ??= buildAgentSchema(componentDefinitions);
  return schema;
}

/** The JSON Schema written to config/agent.schema.json. */
export function agentJsonSchema(): JsonSchema {
  return toJsonSchema(agentConfigSchema());
}
