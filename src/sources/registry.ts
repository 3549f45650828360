// The only file that names concrete sources. A new source is one folder plus one line here.
import type { SourceDefinition } from './types';

export const sourceDefinitions: SourceDefinition[] = [
];
