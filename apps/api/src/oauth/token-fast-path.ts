import { Injectable } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { FastPath } from '../http/fast-path';
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

/**
 * The busiest route, `POST /oauth/token` with client_credentials, answered from a hook (see
 * FastPath): the same TokenEndpoint as the Nest route, without Nest's per-request pipeline
 * (guards, class-validator and class-transformer on the form, param decorators, the router's
 * response handling), which cost more CPU than issuing the token itself. A failure, such as a
 * client that does not authenticate, is handed to the Nest route, so that the throttle counts
 * it once and the one exception filter answers it.
 */
@Injectable()
export class TokenFastPath implements FastPath {
  readonly method = 'POST';
  readonly url = TOKEN_PATH;
  readonly headers = { 'cache-control': 'no-store', pragma: 'no-cache' };

  constructor(private readonly endpoint: TokenEndpoint) {}

  async answer(request: FastifyRequest): Promise<object | null> {
    if (!takesFastPath(request.body)) return null;
    return this.endpoint.token(request, request.body, requestContextOf(request));
  }
}
