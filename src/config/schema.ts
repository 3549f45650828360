// The one typed definition of the config file. Validation, defaults, the JSON Schema, the commented example and
// the reference docs all come from here, so none of them can drift from what the agent accepts.
import { hostname } from 'node:os';
import { z } from 'zod';
import { duration } from './units';

const logSchema = z
  .strictObject({
    level: z
      .enum(['trace', 'debug', 'info', 'warn', 'error'])
      .default('info')
      .describe("The agent's own log level."),
    format: z
      .enum(['auto', 'json', 'pretty'])
      .default('auto')
      .describe('json: one JSON object per line (for journald and log shippers). pretty: colored text. auto: pretty on a terminal, json otherwise.'),
  })
  .describe("The agent's own log, written to stdout.");

const httpSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Serve /metrics, /healthz, /readyz and /status.'),
    listen: z
      .string()
      .regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]*):\d{1,5}$/, 'host:port, e.g. 127.0.0.1:9464 or [::1]:9464')
      .default('127.0.0.1:9464')
      .describe('host:port of the HTTP endpoint. Keep it on loopback unless a firewall guards the port.'),
  })
  .describe("The agent's own HTTP endpoint.");

const tracingSchema = z
  .strictObject({
    enabled: z.boolean().default(false).describe('Export OpenTelemetry traces of collection rounds and sink flushes.'),
    endpoint: z.url().default('http://127.0.0.1:4318/v1/traces').describe('OTLP/HTTP traces endpoint.'),
    service_name: z.string().min(1).default('flink-telemetry-agent').describe('service.name resource attribute of the spans.'),
    sample_ratio: z.number().min(0).max(1).default(1).describe('Fraction of traces kept, 0 to 1.'),
  })
  .describe("OpenTelemetry tracing of the agent's own work (off by default).");

const agentSectionShape = {
  cluster: z.string().min(1).default('flink').describe('Logical Flink cluster name; the `cluster` label on every sample and log record.'),
  node: z
    .string()
    .min(1)
    .optional()
    .describe('Name of this node; the `node` label on every sample and log record. Defaults to the host name.')
    .meta({ examples: ['flink-tm-1'] }),
  labels: z
    .record(z.string(), z.string())
    .default({})
    .describe('Extra labels added to every sample and log record.')
    .meta({ examples: [{ env: 'prod', region: 'eu-west-1' }] }),
  data_dir: z
    .string()
    .min(1)
    .default('./data')
    .describe('Directory the agent owns: disk buffers, file offsets, dead letters, the file sink. Relative paths start at the working directory.'),
  log: logSchema.prefault({}),
  http: httpSchema.prefault({}),
  tracing: tracingSchema.prefault({}),
  shutdown_grace: duration()
    .prefault('10s')
    .describe('On SIGTERM, how long sinks may keep flushing before the agent exits (what is left stays in the disk buffers).'),
};

/** The `agent:` section. `node` is filled with the host name here rather than as a schema default, so the JSON
 *  Schema and the generated example do not depend on the machine that generated them. */
export const agentSectionSchema = z
  .strictObject(agentSectionShape)
  .describe('Identity of this agent and its own log, HTTP endpoint and tracing.')
  .transform((a) => ({ ...a, node: a.node ?? hostname() }));

export type AgentSection = z.output<typeof agentSectionSchema>;
export type LogSection = AgentSection['log'];
export type HttpSection = AgentSection['http'];
export type TracingSection = AgentSection['tracing'];

/** A source, transform or sink as the agent receives it: its `type` plus that type's parsed options. */
export interface ComponentConfig {
  type: string;
  [option: string]: unknown;
}

/** A transform or sink: it names the components it reads from. */
export interface WiredComponentConfig extends ComponentConfig {
  inputs: string[];
}

/** The parsed, validated config with every default filled in. */
export interface AgentConfig {
  agent: AgentSection;
  sources: Record<string, ComponentConfig>;
  transforms: Record<string, WiredComponentConfig>;
  sinks: Record<string, WiredComponentConfig>;
}

/** Anything with a `type` name and a zod schema: SourceDefinition, TransformDefinition, SinkDefinition. */
export interface SchemaDefinition {
  type: string;
  /** One line for the generated example and the docs. */
  description?: string;
  schema: z.ZodType;
}

export interface ComponentDefinitions {
  sources: readonly SchemaDefinition[];
  transforms: readonly SchemaDefinition[];
  sinks: readonly SchemaDefinition[];
}

function componentUnion(kind: string, defs: readonly SchemaDefinition[]): z.ZodType {
  if (defs.length === 0) return z.never().describe(`No ${kind} types are registered.`);
  const options = defs.map((d) => d.schema) as unknown as [z.core.$ZodTypeDiscriminable, ...z.core.$ZodTypeDiscriminable[]];
  return z.discriminatedUnion('type', options);
}

/** The whole config schema for a set of component definitions (the registries in production, fakes in tests). */
export function buildAgentSchema(defs: ComponentDefinitions): z.ZodType<AgentConfig, unknown> {
  return z
    .strictObject({
      agent: agentSectionSchema.prefault({}),
      sources: z
        .record(z.string(), componentUnion('source', defs.sources))
        .describe('Where telemetry comes from: name → source. The name is what sinks and transforms list in `inputs`.'),
      transforms: z
        .record(z.string(), componentUnion('transform', defs.transforms))
        .default({})
        .describe('Optional processing between sources and sinks: name → transform. A transform is an input like a source.'),
      sinks: z
        .record(z.string(), componentUnion('sink', defs.sinks))
        .describe('Where telemetry goes: name → sink. Each sink has its own batching, disk buffer and retries.'),
    })
    .describe('flink-telemetry-agent configuration.') as unknown as z.ZodType<AgentConfig, unknown>;
}
