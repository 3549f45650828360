// The only file that names concrete sources. A new source is one folder plus one line here.
import type { SourceDefinition } from './types';
import { flinkPrometheusSource } from './flink-prometheus';
import { flinkRestSource } from './flink-rest';
import { flinkLogsSource } from './flink-logs';
import { journaldSource } from './journald';
import { hostSource } from './host';

export const sourceDefinitions: SourceDefinition[] = [flinkPrometheusSource, flinkRestSource, flinkLogsSource, journaldSource, hostSource];
