import { Injectable } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { FastPath } from '../http/fast-path';
import { admitCaller, presentedBearer } from '../http/auth';
import { OAuth1Signatures } from '../integrations/oauth1/oauth1-signatures';
import { CredentialIndexService } from './credential-index.service';
import { Introspection, INTROSPECTION_PERMISSIONS, INTROSPECTION_ROUTE, IntrospectionResponse, plainlyValidToken } from './introspection.controller';
import { Principal } from './principal';
import { UsageRecorder } from './usage-recorder';

/**
 * The hottest route: a resource server calls it for every request it serves. Answered from a
 * hook once its body is parsed (see FastPath) when the body certainly passes the DTO's rules:
 * the caller is verified, counted and refused here as the route's guard would (`admitCaller`),
 * and answered with what the controller would answer. Any other body goes on to the controller,
 * whose guard, pipe and filter say what is wrong in the API's usual words; a refusal here is
 * thrown again by that guard before it verifies, so each caller is verified and counted once.
 */
@Injectable()
export class IntrospectionFastPath implements FastPath {
  readonly method = 'POST';
  readonly url = INTROSPECTION_ROUTE;
  readonly headers = { 'cache-control': 'no-store' };

  constructor(
    private readonly credentials: CredentialIndexService,
    private readonly usage: UsageRecorder,
    private readonly introspection: Introspection,
  ) {}

  async answer(request: FastifyRequest & { principal?: Principal }): Promise<IntrospectionResponse | null> {
    const token = plainlyValidToken(request.body);
    const presented = presentedBearer(request);
    if (token === null || presented === null || OAuth1Signatures.isSigned(request)) return null;
    const now = new Date().toISOString();
    const caller = await this.credentials.authenticate(presented, now);
    this.credentials.count(caller);
    const { principal } = caller;
    admitCaller(request, principal, INTROSPECTION_PERMISSIONS, this.usage, now);
    return this.introspection.answer(principal, token, now);
  }
}
