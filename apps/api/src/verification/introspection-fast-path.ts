import { Injectable } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { FastPath } from '../http/fast-path';
import { presentedBearer } from '../http/auth';
import { OAuth1Signatures } from '../integrations/oauth1/oauth1-signatures';
import { CredentialIndexService } from './credential-index.service';
import { Introspection, INTROSPECTION_PERMISSION, INTROSPECTION_ROUTE, IntrospectionResponse, plainlyValidToken } from './introspection.controller';
import { Principal } from './principal';
import { UsageRecorder } from './usage-recorder';

/**
 * The hottest route: a resource server calls it for every request it serves. Answered from a
 * hook once its body is parsed (see FastPath) when the request certainly succeeds (a bearer
 * caller that verifies and holds `tokens:introspect`, a body the DTO's rules accept), with what
 * the controller would answer; anything else goes on to the controller, whose guard, pipe and
 * filter say what is wrong in the API's usual words. Each verification is counted once
 * whichever way the request goes.
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
    if (!caller.principal?.permissions.has(INTROSPECTION_PERMISSION)) return null;
    this.credentials.count(caller);
    this.usage.record(caller.principal.credential.id, now);
    request.principal = caller.principal;
    return this.introspection.answer(caller.principal, token, now);
  }
}
