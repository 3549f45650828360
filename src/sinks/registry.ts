// The only file that names concrete sinks. A new sink is one folder plus one line here.
import type { SinkDefinition } from './types';
import { fileSink } from './file';
import { stdoutSink } from './stdout';
import { openSearchSink } from './opensearch';
import { remoteWriteSink } from './prometheus-remote-write';
import { influxDbSink } from './influxdb';
import { postgresSink } from './postgres';

export const sinkDefinitions: SinkDefinition[] = [fileSink, stdoutSink, openSearchSink, remoteWriteSink, influxDbSink, postgresSink];
