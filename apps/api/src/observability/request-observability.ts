import { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Logger } from 'pino';
import { KeyholdMetrics } from '@keyhold/platform';
import { correlationIdOf } from '../http/request-context';
import { Principal } from '../verification/principal';

/** Requests no route matched share one label, so that a scan of random URLs cannot grow the series. */
const UNMATCHED_ROUTE = 'unmatched';

/**
 * One log line and one metrics sample per answered request, from a Fastify `onResponse` hook
 * rather than pino-http: the hook sees the matched route template (`/v1/tokens/:id`, never the
 * URL as sent), the principal the guard attached and the time Fastify measured, and writes
 * through the process's one pino logger. The line names its fields one by one: no header (so
 * no Authorization or cookie), no query string, no body can reach it, whatever the logger's
 * redaction paths.
 */
export const observeRequests = (fastify: FastifyInstance, logger: Logger, metrics: KeyholdMetrics): void => {
  const requests = logger.child({ component: 'http' });
  fastify.addHook('onResponse', async (request: FastifyRequest & { principal?: Principal }, reply: FastifyReply) => {
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
    const status = reply.statusCode;
    const durationMs = reply.elapsedTime;
    metrics.httpRequests.inc({ method: request.method, route, status });
    metrics.httpDuration.observe({ method: request.method, route, status_class: `${Math.floor(status / 100)}xx` }, durationMs / 1000);
    const principal = request.principal;
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
