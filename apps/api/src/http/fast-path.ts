import { FastifyInstance, FastifyRequest, HTTPMethods, preHandlerAsyncHookHandler, RouteOptions } from 'fastify';

/**
 * A route of the Nest API whose requests that certainly succeed are answered from a Fastify
 * `preHandler` hook, without Nest's guards, pipes, interceptors and router (which cost more CPU
 * than the answer on the hottest routes). The Nest route stays: it describes the route in the
 * OpenAPI document, answers every request the fast path hands on, and answers every failure of
 * the fast path, thrown again by the route's guard or, on a public route, by its handler (see
 * `rethrowFastPathFailure`), so error words and codes are the API's own.
 */
export interface FastPath {
  readonly method: HTTPMethods;
  /** The route's template, as the Nest route is registered (`/oauth/introspect`). */
  readonly url: string;
  /** The headers of every answer, as the Nest route's `@Header()` decorators set them. */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * The 200 answer's body when the request certainly succeeds, or a `FastAnswer` for another
   * status or headers of its own; null hands the request on to the Nest route unanswered. What
   * it throws is handed on too, and thrown again by the route.
   */
  answer(request: FastifyRequest): Promise<object | FastAnswer | null>;
}

/** An answer whose status and headers depend on the request (`201` with its `Location`), sent with the path's own headers. */
export class FastAnswer {
  constructor(
    readonly status: number,
    readonly headers: Readonly<Record<string, string>>,
    readonly body: object,
  ) {}
}

const FAILURE = Symbol('keyhold:fast-path-failure');
type WithFailure = FastifyRequest & { [FAILURE]?: unknown };

/** In a fast path's Nest route (its guard, or a public route's handler): what the fast path failed with, thrown again so that the one exception filter answers it. */
export const rethrowFastPathFailure = (request: FastifyRequest): void => {
  if (FAILURE in request) throw (request as WithFailure)[FAILURE];
};

const answeredBy = (path: FastPath): preHandlerAsyncHookHandler =>
  async function fastPath(request, reply) {
    try {
      const answer = await path.answer(request);
      if (answer instanceof FastAnswer) return reply.code(answer.status).headers(path.headers).headers(answer.headers).send(answer.body);
      if (answer !== null) return reply.code(200).headers(path.headers).send(answer);
    } catch (error) {
      (request as WithFailure)[FAILURE] = error;
    }
  };

/**
 * Attaches each fast path as a `preHandler` of its own route only (a route-level hook, after
 * the global ones such as tracing's), so that no other route pays for a route check. Must be
 * called before the Nest application is initialised: Fastify tells `onRoute` hooks of the routes
 * registered after them, and Nest registers its routes at `init()`.
 */
export const answerFromHooks = (fastify: FastifyInstance, paths: readonly FastPath[]): void => {
  const byRoute = new Map(paths.map((path) => [`${path.method} ${path.url}`, answeredBy(path)]));
  const attached = new Set<string>();
  fastify.addHook('onRoute', (route: RouteOptions) => {
    if (Array.isArray(route.method)) return;
    const key = `${route.method} ${route.url}`;
    const hook = byRoute.get(key);
    if (!hook) return;
    const existing = route.preHandler ?? [];
    route.preHandler = [...(Array.isArray(existing) ? existing : [existing]), hook];
    attached.add(key);
  });
  // A fast path whose route was never registered would silently serve nothing: say so at start.
  fastify.addHook('onReady', async () => {
    const missing = [...byRoute.keys()].filter((key) => !attached.has(key));
    if (missing.length > 0) throw new Error(`No route for the fast path(s) ${missing.join(', ')}`);
  });
};
