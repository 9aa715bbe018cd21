import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { BatchSpanProcessor, SpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { KEYHOLD_CONFIG, KeyholdConfig } from './config';

/** As the OTLP specification builds it: the traces path under the endpoint, unless a traces-only endpoint is given. */
const tracesUrl = (endpoint: string) => process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? `${endpoint.replace(/\/$/, '')}/v1/traces`;

/**
 * Makes the process's spans go to `processor`: the tracer provider, the context manager that
 * carries the active span across awaits, and W3C trace context, so that a caller's traceparent
 * header continues its trace. Tests register an in-memory exporter through this too.
 */
export const registerTracerProvider = (processor: SpanProcessor): TracerProvider => {
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': process.env.OTEL_SERVICE_NAME ?? 'keyhold' }),
    spanProcessors: [processor],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  return provider;
};

/** This thread's spans to the collector at `endpoint` over OTLP/HTTP, in batches (a worker thread registers its own). */
export const exportTraces = (endpoint: string): TracerProvider =>
  registerTracerProvider(new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: tracesUrl(endpoint) }) }));

/**
 * Traces, off unless OTEL_EXPORTER_OTLP_ENDPOINT names a collector: then spans (HTTP, command,
 * append, projection, relay, Kafka consumer) go there over OTLP/HTTP in batches. The exporter
 * reads the standard OTEL_EXPORTER_OTLP_* variables itself (headers, timeout, a traces-only
 * endpoint); OTEL_SERVICE_NAME names the service (default keyhold). Manual spans through
 * @keyhold/tracing rather than auto-instrumentation: no module patching, and the spans say what
 * Keyhold does (a command, an append) rather than which library calls it made.
 */
@Injectable()
export class Tracing implements OnApplicationShutdown {
  private readonly provider: TracerProvider | null = null;

  constructor(@Inject(KEYHOLD_CONFIG) config: KeyholdConfig) {
    if (!config.OTEL_EXPORTER_OTLP_ENDPOINT) return;
    this.provider = exportTraces(config.OTEL_EXPORTER_OTLP_ENDPOINT);
  }

  /** Sends what is still buffered; the process is stopping. */
  async onApplicationShutdown(): Promise<void> {
    await this.provider?.shutdown();
  }
}
