// The contract for a transform: a pure function over a batch (relabel, filter, redact). Named in the config's
// `transforms:` section with its own `inputs:`, and usable as an input of sinks or other transforms.
import type { z } from 'zod';
import type { ComponentContext } from '../component';
import type { TelemetryRecord } from '../model';

export interface Transform {
  apply(records: TelemetryRecord[]): TelemetryRecord[];
}

export interface TransformDefinition<S extends z.ZodType = z.ZodType> {
  type: string;
  description: string;
  /** A `z.strictObject` with `type: z.literal(<type>)` and `inputs: z.array(z.string()).min(1)`. */
  schema: S;
  create(config: z.output<S>, ctx: ComponentContext): Transform;
}
