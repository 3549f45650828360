// The only file that names concrete transforms. A new transform is one folder plus one line here.
import type { TransformDefinition } from './types';
import { relabelTransform } from './relabel';
import { filterTransform } from './filter';

export const transformDefinitions: TransformDefinition[] = [relabelTransform, filterTransform];
