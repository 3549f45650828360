// The only file that names concrete sinks. A new sink is one folder plus one line here.
import type { SinkDefinition } from './types';

export const sinkDefinitions: SinkDefinition[] = [
];
