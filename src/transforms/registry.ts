// The only file that names concrete transforms.
import type { TransformDefinition } from './types';

export const transformDefinitions: TransformDefinition[] = [
];
