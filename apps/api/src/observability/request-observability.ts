import { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Logger } from 'pino';
import { context, propagation, Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { KeyholdMetrics } from '@keyhold/platform';
import { CORRELATION_ID, tracer } from '@keyhold/tracing';
import { correlationIdOf } from '../http/request-context';
import { Principal } from '../verification/principal';

/** Requests no route matched share one label, so that a scan of random URLs cannot grow the series. */
const UNMATCHED_ROUTE = 'unmatched';

/**
 * One log line, one metrics sample and one span per answered request, from a Fastify `onResponse` hook
 * rather than pino-http: the hook sees the matched route template (`/v1/tokens/:id`, never the
 * URL as sent), the principal the guard attached and the time Fastify measured, and writes
 * through the process's one pino logger. The line names its fields one by one: no header (so
 * no Authorization or cookie), no query string, no body can reach it, whatever the logger's
 * redaction paths.
 */
export const observeRequests = (fastify: FastifyInstance, logger: Logger, metrics: KeyholdMetrics): void => {
  const requests = logger.child({ component: 'http' });
  const spans = new WeakMap<FastifyRequest, Span>();
  // The span starts with the request (a caller's traceparent continues its trace) and becomes the
  // active one for the handler once the body is read: commands and appends nest under it.
  fastify.addHook('onRequest', async (request) => {
    const parent = propagation.extract(context.active(), request.headers);
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
    const attributes = { 'http.request.method': request.method, 'http.route': route, [CORRELATION_ID]: correlationIdOf(request) };
    spans.set(request, tracer().startSpan(`${request.method} ${route}`, { kind: SpanKind.SERVER, attributes }, parent));
  });
  fastify.addHook('preHandler', (request, _reply, done) => {
    const span = spans.get(request);
    if (span) context.with(trace.setSpan(context.active(), span), done);
    else done();
  });
  fastify.addHook('onResponse', async (request: FastifyRequest & { principal?: Principal }, reply: FastifyReply) => {
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
    const status = reply.statusCode;
    const durationMs = reply.elapsedTime;
    metrics.httpRequests.inc({ method: request.method, route, status });
    metrics.httpDuration.observe({ method: request.method, route, status_class: `${Math.floor(status / 100)}xx` }, durationMs / 1000);
    const principal = request.principal;
    const span = spans.get(request);
    if (span) {
      span.setAttribute('http.response.status_code', status);
      if (principal) span.setAttribute('keyhold.tenant_id', principal.tenantId);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
    requests[status >= 500 ? 'error' : 'info'](
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
  });
};
