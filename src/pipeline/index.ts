// The pipeline's public surface, what src/agent.ts wires: Router, SinkRunner (with its buffer and metrics),
// SourceStateStore. Everything else in this folder is the machinery behind them.
export { Router, type Topology, type RouterTarget } from './router';
export { SinkRunner, type SinkRunnerOptions, type SinkRunnerStatus, type SinkRunnerState } from './sink-runner';
export { PipelineMetrics, type SinkMetrics } from './metrics';
export { SourceStateStore } from './source-state';
export { StoppingError } from './buffer';
export { systemClock, type Clock } from './clock';
export { queueDir, deadLetterPath, sourceStatePath } from './paths';
export { sinkCommonShape, type SinkCommonConfig } from './sink-options';
