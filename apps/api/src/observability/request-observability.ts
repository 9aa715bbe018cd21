import { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Logger } from 'pino';
import { context, isSpanContextValid, propagation, ProxyTracer, Span, SpanKind, SpanStatusCode, trace, Tracer } from '@opentelemetry/api';
import { KeyholdMetrics } from '@keyhold/platform';
import { CORRELATION_ID, tracer } from '@keyhold/tracing';
import { correlationIdOf } from '../http/request-context';
import { Principal } from '../verification/principal';

/** Requests no route matched share one label, so that a scan of random URLs cannot grow the series. */
const UNMATCHED_ROUTE = 'unmatched';

type RequestLabels = { method: string; route: string; status: number };
type DurationLabels = { method: string; route: string; status_class: string };

type SeriesLabelsOf = { requests: RequestLabels; duration: DurationLabels };

/**
 * The label objects of each (method, route, status) series, made once: prom-client hashes the
 * labels it is given on every sample, but building them anew per request was allocation on
 * every answer. Found by route, method and status in turn, so that finding them allocates
 * nothing either (a key string joined per request did). Bounded like the series themselves
 * (route templates, methods, statuses).
 */
class SeriesLabels {
  private readonly byRoute = new Map<string, Map<string, Map<number, SeriesLabelsOf>>>();

  of(method: string, route: string, status: number): SeriesLabelsOf {
    let byMethod = this.byRoute.get(route);
    if (byMethod === undefined) this.byRoute.set(route, (byMethod = new Map()));
    let byStatus = byMethod.get(method);
    if (byStatus === undefined) byMethod.set(method, (byStatus = new Map()));
    let labels = byStatus.get(status);
    if (labels === undefined) {
      labels = { requests: { method, route, status }, duration: { method, route, status_class: `${Math.floor(status / 100)}xx` } };
      byStatus.set(status, labels);
    }
    return labels;
  }
}

/**
 * The request's server span, or null when nothing would record or carry it. A span that is not
 * recorded but has a valid context (a sampler said no) is kept, so that its decision propagates.
 */
const serverSpan = (requests: Tracer, request: FastifyRequest): Span | null => {
  const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
  const parent = propagation.extract(context.active(), request.headers);
  const attributes = { 'http.request.method': request.method, 'http.route': route, [CORRELATION_ID]: correlationIdOf(request) };
  const span = requests.startSpan(`${request.method} ${route}`, { kind: SpanKind.SERVER, attributes }, parent);
  return span.isRecording() || isSpanContextValid(span.spanContext()) ? span : null;
};

/**
 * One log line, one metrics sample and one span per answered request, from a Fastify `onResponse` hook
 * rather than pino-http: the hook sees the matched route template (`/v1/tokens/:id`, never the
 * URL as sent), the principal the guard attached and the time Fastify measured, and writes
 * through the process's one pino logger. The line names its fields one by one: no header (so
 * no Authorization or cookie), no query string, no body can reach it, whatever the logger's
 * redaction paths. The hooks take Fastify's callback form: an async hook costs a promise and a
 * microtask per request for work that never waits.
 */
export const observeRequests = (fastify: FastifyInstance, logger: Logger, metrics: KeyholdMetrics): void => {
  const requests = logger.child({ component: 'http' });
  const spans = new WeakMap<FastifyRequest, Span>();
  const series = new SeriesLabels();
  const requestTracer = tracer();
  // The API hands out a ProxyTracer only while no provider is registered (Tracing registers one,
  // before the HTTP edge is built, when OTEL_EXPORTER_OTLP_ENDPOINT is set): then no propagator
  // is either, so no caller's trace could continue, and the two span hooks below would be two
  // hook calls and a WeakMap lookup on every request for nothing.
  if (!(requestTracer instanceof ProxyTracer)) {
    // The span starts with the request (a caller's traceparent continues its trace) and becomes the
    // active one for the handler once the body is read: commands and appends nest under it.
    fastify.addHook('onRequest', (request, _reply, done) => {
      const span = serverSpan(requestTracer, request);
      if (span) spans.set(request, span);
      done();
    });
    fastify.addHook('preHandler', (request, _reply, done) => {
      const span = spans.get(request);
      if (span) context.with(trace.setSpan(context.active(), span), done);
      else done();
    });
  }
  fastify.addHook('onResponse', (request: FastifyRequest & { principal?: Principal }, reply: FastifyReply, done) => {
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
    const status = reply.statusCode;
    const durationMs = reply.elapsedTime;
    const labels = series.of(request.method, route, status);
    metrics.httpRequests.inc(labels.requests);
    metrics.httpDuration.observe(labels.duration, durationMs / 1000);
    const principal = request.principal;
    const span = spans.get(request);
    if (span) {
      span.setAttribute('http.response.status_code', status);
      if (principal) span.setAttribute('keyhold.tenant_id', principal.tenantId);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
    const level = status >= 500 ? 'error' : 'info';
    if (requests.isLevelEnabled(level)) {
      requests[level](
        {
          method: request.method,
          route,
          status,
          durationMs: Math.round(durationMs * 1000) / 1000,
          requestId: request.id,
          correlationId: correlationIdOf(request),
          tenantId: principal?.tenantId ?? null,
          actorId: principal?.actor.id ?? null,
          actorKind: principal?.actor.kind ?? null,
        },
        'request',
      );
    }
    done();
  });
};
