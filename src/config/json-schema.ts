// The JSON Schema of the config (for editors and `flink-telemetry-agent schema`) and a small walker over it. The
// walker answers questions the loader and the example generator share: which keys are allowed here, which
// `type:` values exist for sources, is this field a duration. Walking the JSON Schema rather than zod internals
// keeps us on a documented, stable format.
import { z } from 'zod';

export interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  examples?: unknown[];
  const?: unknown;
  enum?: unknown[];
  format?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  minItems?: number;
  minimum?: number;
  [keyword: string]: unknown;
}

const cache = new WeakMap<z.ZodType, JsonSchema>();

/** The JSON Schema (draft 2020-12) of what users write: inputs before defaults and unit parsing. */
export function toJsonSchema(schema: z.ZodType): JsonSchema {
  let js = cache.get(schema);
  if (!js) {
    js = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
    cache.set(schema, js);
  }
  return js;
}

/** The options of a union discriminated by `type` (sources, transforms, sinks), keyed by their type name. */
export function typedOptions(node: JsonSchema | undefined): Map<string, JsonSchema> | undefined {
  const options = node?.oneOf ?? node?.anyOf;
  if (!options) return undefined;
  const out = new Map<string, JsonSchema>();
  for (const o of options) {
    const t = o.properties?.['type']?.const;
    if (typeof t !== 'string') return undefined;
    out.set(t, o);
  }
  return out;
}

/** Object properties of a node (through a single-object anyOf), or undefined when it is not a fixed-key object. */
export function propertiesOf(node: JsonSchema | undefined): Record<string, JsonSchema> | undefined {
  if (!node) return undefined;
  if (node.properties) return node.properties;
  const objects = (node.anyOf ?? []).filter((o) => o.properties);
  return objects.length === 1 ? objects[0]!.properties : undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The schema node for `path`, following object properties, record values, array items and — for a typed union —
 * the option named by the `type` the user wrote at that point (`data`). Undefined when the path leaves the schema.
 */
export function subschemaAt(root: JsonSchema, path: readonly PropertyKey[], data: unknown): JsonSchema | undefined {
  let node: JsonSchema | undefined = resolveTyped(root, data);
  let value = data;
  for (const key of path) {
    if (!node) return undefined;
    const props = propertiesOf(node);
    if (typeof key === 'number') {
      node = node.items;
    } else if (props && typeof key === 'string' && key in props) {
      node = props[key];
    } else if (isRecord(node.additionalProperties)) {
      node = node.additionalProperties;
    } else {
      return undefined;
    }
    value = Array.isArray(value) ? value[key as number] : isRecord(value) ? value[key as string] : undefined;
    node = resolveTyped(node, value);
  }
  return node;
}

function resolveTyped(node: JsonSchema | undefined, value: unknown): JsonSchema | undefined {
  const options = typedOptions(node);
  if (!options) return node;
  const t = isRecord(value) ? value['type'] : undefined;
  return typeof t === 'string' ? (options.get(t) ?? node) : node;
}
