// The public surface of src/config: load and validate the config file, its schema and the tools around it.
export { loadConfig, parseConfigText, inspectConfigFile } from './load';
export { parseConfigWith, runConfigStages, readConfigFile } from './parse';
export type { LoadedConfig, StagedResult, StageReport, ConfigStage } from './parse';
export { agentConfigSchema, agentJsonSchema, componentDefinitions } from './registered';
export { agentSectionSchema, buildAgentSchema } from './schema';
export type { AgentConfig, AgentSection, LogSection, HttpSection, TracingSection, ComponentConfig, WiredComponentConfig, ComponentDefinitions, SchemaDefinition } from './schema';
export { checkTopology } from './topology';
export { maskSecrets, maskUrlPassword, MASK } from './mask';
export { generateExample } from './example';
export { renderEffectiveConfig, formatDuration, formatSize } from './effective';
export { toJsonSchema, type JsonSchema } from './json-schema';
export { duration, size, parseDuration, parseSize } from './units';
