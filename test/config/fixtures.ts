// Small fake component definitions, so config tests do not depend on every real source and sink.
import { z } from 'zod';
import { buildAgentSchema, type ComponentDefinitions } from '../../src/config/schema';
import { size } from '../../src/config/units';
import { sinkCommonShape } from '../../src/pipeline/sink-options';
import { sourceCommonShape } from '../../src/sources/common-schema';
import { relabelTransform } from '../../src/transforms/relabel';
import { filterTransform } from '../../src/transforms/filter';

export const fakeDefinitions: ComponentDefinitions = {
  sources: [
    {
      type: 'scrape',
      schema: z.strictObject({
        type: z.literal('scrape'),
        url: z.url().describe('Where to scrape.').meta({ examples: ['http://127.0.0.1:9249/metrics'] }),
        ...sourceCommonShape,
      }),
    },
    { type: 'tail', schema: z.strictObject({ type: z.literal('tail'), paths: z.array(z.string()).min(1).describe('Files to tail.'), ...sourceCommonShape }) },
  ],
  transforms: [relabelTransform, filterTransform],
  sinks: [
    {
      type: 'search',
      schema: z.strictObject({
        type: z.literal('search'),
        url: z.url().describe('Base URL of the cluster.').meta({ examples: ['http://127.0.0.1:9200'] }),
        password: z.string().optional().describe('Basic auth password.'),
        max_doc: size().prefault('1MiB').describe('Largest document.'),
        ...sinkCommonShape,
      }),
    },
  ],
};

export const fakeSchema = buildAgentSchema(fakeDefinitions);
