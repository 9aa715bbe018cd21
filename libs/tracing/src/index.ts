import { Attributes, Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';

/** The attribute every Keyhold span carries, so that one search finds a command's HTTP request, events, projections and messages. */
export const CORRELATION_ID = 'keyhold.correlation_id';
/** What a span over many requests' events (a page of the log) carries instead: each of their correlation ids, once. */
export const CORRELATION_IDS = 'keyhold.correlation_ids';

/**
 * Keyhold's spans go through the OpenTelemetry API only: without a registered tracer provider
 * (OTEL_EXPORTER_OTLP_ENDPOINT unset, see libs/platform/src/tracing.ts) every call is the API's
 * no-op, so instrumented code costs next to nothing when tracing is off.
 */
export const tracer = () => trace.getTracer('keyhold');

/** Runs `work` in an active span (its children nest under it), ends it, and marks it failed on a throw. */
export const traced = <T>(name: string, attributes: Attributes, work: (span: Span) => Promise<T>, kind: SpanKind = SpanKind.INTERNAL): Promise<T> =>
  tracer().startActiveSpan(name, { kind, attributes }, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  });
