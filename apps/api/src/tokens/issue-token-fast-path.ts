import { Injectable } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { Permission } from '@keyhold/domain';
import { admitCaller, presentedBearer } from '../http/auth';
import { FastAnswer, FastPath } from '../http/fast-path';
import { requestContextOf } from '../http/request-context';
import { OAuth1Signatures } from '../integrations/oauth1/oauth1-signatures';
import { CredentialIndexService } from '../verification/credential-index.service';
import { Principal } from '../verification/principal';
import { UsageRecorder } from '../verification/usage-recorder';
import { plainIssueTokenBody } from './token.dto';
import { TokenIssuance } from './token-issuance';

export const ISSUE_TOKEN_ROUTE = '/v1/tokens';
const ISSUE_TOKEN_PERMISSIONS: readonly Permission[] = ['tokens:write'];

/** The body of a request this path may take: plain, without Idempotency-Key (a retry answers 200), not OAuth 1.0a-signed. */
const bodyTaken = (request: FastifyRequest) =>
  request.headers['idempotency-key'] === undefined && !OAuth1Signatures.isSigned(request) ? plainIssueTokenBody(request.body) : null;

/**
 * `POST /v1/tokens` answered from a hook (see FastPath) when its body certainly passes the
 * route's validation (`plainIssueTokenBody`, no Idempotency-Key, not OAuth 1.0a-signed): the
 * caller is verified, counted and refused here as the route's guard would (`admitCaller`),
 * and the token issued through the same TokenIssuance as the route, durably and read-your-writes
 * alike, without Nest's guard, pipes (class-validator and class-transformer) and router, which
 * under 50 connections of this route took about a quarter of the serving thread. Any other body
 * goes on to the route. A refusal or a failure of the command is answered by the route's guard,
 * which throws it again before verifying (a caller is verified once per request), through the
 * API's one exception filter.
 */
@Injectable()
export class IssueTokenFastPath implements FastPath {
  readonly method = 'POST';
  readonly url = ISSUE_TOKEN_ROUTE;
  readonly headers = {};

  constructor(
    private readonly credentials: CredentialIndexService,
    private readonly usage: UsageRecorder,
    private readonly issuance: TokenIssuance,
  ) {}

  async answer(request: FastifyRequest & { principal?: Principal }): Promise<FastAnswer | null> {
    const body = bodyTaken(request);
    if (body === null) return null;
    const presented = presentedBearer(request);
    if (presented === null) return null;
    const now = new Date().toISOString();
    const caller = await this.credentials.check(presented, now);
    this.credentials.count(caller);
    const { principal } = caller;
    admitCaller(request, principal, ISSUE_TOKEN_PERMISSIONS, this.usage, now);
    const { status, headers, body: issued } = await this.issuance.issue(principal, requestContextOf(request), body, undefined);
    return new FastAnswer(status, headers, issued);
  }
}
