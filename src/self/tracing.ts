// OpenTelemetry traces of collection rounds and sink flushes, exported over OTLP/HTTP. Off unless configured:
// the SDK is loaded lazily so an agent without tracing pays neither its start-up time nor its memory.
import { trace, SpanStatusCode, type Span } from '@opentelemetry/api';

export interface TracingOptions {
  enabled: boolean;
  endpoint: string;
  service_name: string;
  sample_ratio: number;
}

export interface TracingHandle {
  shutdown(): Promise<void>;
}

export async function startTracing(o: TracingOptions, attributes: Record<string, string>): Promise<TracingHandle> {
  if (!o.enabled) return { shutdown: async () => undefined };
  // require(), not import(): a dynamic import() would load the SDK's ESM build beside the CommonJS
  // @opentelemetry/api this file uses, and spans would never reach the exporter (seen: nothing exported).
  const { startNodeSdk } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  const { BatchSpanProcessor, TraceIdRatioBasedSampler } = require('@opentelemetry/sdk-trace') as typeof import('@opentelemetry/sdk-trace');
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
  const sdk = startNodeSdk({
    resourceAttributes: { 'service.name': o.service_name, ...attributes },
    resourceDetectors: [],
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: o.endpoint }) })],
    sampler: new TraceIdRatioBasedSampler(o.sample_ratio),
    // Traces only: without these the SDK would also start OTLP metric and log exporters from OTEL_* defaults.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [],
  });
  return { shutdown: () => sdk.shutdown() };
}

const tracer = trace.getTracer('flink-telemetry-agent');

/** Runs `fn` inside a span; with tracing off the API's no-op tracer makes this nearly free. */
export async function inSpan<T>(name: string, attributes: Record<string, string | number>, fn: (span: Span) => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err instanceof Error ? err : new Error(String(err)));
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
      throw err;
    } finally {
      span.end();
    }
  });
}
