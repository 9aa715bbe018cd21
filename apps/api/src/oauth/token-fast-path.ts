import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { FastifyInstance, FastifyRequest } from 'fastify';
import { requestContextOf } from '../http/request-context';
import { SCOPE_PATTERN, TOKEN_FORM_LIMITS, TokenRequest } from './oauth.dto';
import { TokenEndpoint } from './token-endpoint';

export const TOKEN_PATH = '/oauth/token';

/**
 * A client_credentials form that needs no more checking than this: the grant, and at most a
 * scope and client_secret_post's two fields, each a non-empty string within the DTO's limits.
 * Anything else (another grant, another field, an empty or repeated one) takes Nest's pipeline,
 * whose validation answers for it exactly as before.
 */
const takesFastPath = (body: unknown): body is TokenRequest => {
  if (typeof body !== 'object' || body === null) return false;
  const form = body as Record<string, unknown>;
  if (form.grant_type !== 'client_credentials') return false;
  for (const [field, value] of Object.entries(form)) {
    if (!Object.hasOwn(TOKEN_FORM_LIMITS, field) || typeof value !== 'string' || value.length === 0) return false;
    if (value.length > TOKEN_FORM_LIMITS[field as keyof typeof TOKEN_FORM_LIMITS]) return false;
  }
  return form.scope === undefined || SCOPE_PATTERN.test(form.scope as string);
};

const FAILURE = Symbol('keyhold:token-fast-path-failure');
type WithFailure = FastifyRequest & { [FAILURE]?: unknown };

/** In the token route's handler: what the fast path failed with, thrown again so that the one exception filter answers it. */
export const rethrowFastPathFailure = (request: FastifyRequest): void => {
  if (FAILURE in request) throw (request as WithFailure)[FAILURE];
};

/**
 * The busiest route, `POST /oauth/token` with client_credentials, answered from a Fastify
 * preHandler hook: the same TokenEndpoint as the Nest route, without Nest's per-request pipeline
 * (guards, class-validator and class-transformer on the form, param decorators, the router's
 * response handling), which cost more CPU than issuing the token itself. The Nest route stays:
 * it is the OpenAPI description, serves every other form, and answers every failure of this
 * one (the hook hands the error over rather than answering it, so a failed client
 * authentication is counted by the throttle once and answered by the one exception filter).
 */
@Injectable()
export class TokenFastPath implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly endpoint: TokenEndpoint,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    fastify?.addHook('preHandler', async (request, reply) => {
      if (request.routeOptions.url !== TOKEN_PATH || request.method !== 'POST' || !takesFastPath(request.body)) return;
      try {
        const answer = await this.endpoint.token(request, request.body, requestContextOf(request));
        return reply.code(200).header('Cache-Control', 'no-store').header('Pragma', 'no-cache').send(answer);
      } catch (error) {
        (request as WithFailure)[FAILURE] = error;
      }
    });
  }
}
