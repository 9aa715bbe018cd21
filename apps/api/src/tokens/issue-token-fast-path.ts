import { Injectable } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { presentedBearer } from '../http/auth';
import { FastAnswer, FastPath } from '../http/fast-path';
import { requestContextOf } from '../http/request-context';
import { OAuth1Signatures } from '../integrations/oauth1/oauth1-signatures';
import { CredentialIndexService } from '../verification/credential-index.service';
import { Principal } from '../verification/principal';
import { UsageRecorder } from '../verification/usage-recorder';
import { plainIssueTokenBody } from './token.dto';
import { TokenIssuance } from './token-issuance';

export const ISSUE_TOKEN_ROUTE = '/v1/tokens';
const ISSUE_TOKEN_PERMISSION = 'tokens:write';

/** The body of a request this path may take: plain, without Idempotency-Key (a retry answers 200), not OAuth 1.0a-signed. */
const bodyTaken = (request: FastifyRequest) =>
  request.headers['idempotency-key'] === undefined && !OAuth1Signatures.isSigned(request) ? plainIssueTokenBody(request.body) : null;

/**
 * `POST /v1/tokens` answered from a hook (see FastPath) when its caller and body certainly pass
 * the route's guard and validation: a bearer token that verifies and holds `tokens:write`, and a
 * body `plainIssueTokenBody` takes (no Idempotency-Key either). It issues through the same
 * TokenIssuance as the route, durably and read-your-writes alike, without Nest's guard, pipes
 * (class-validator and class-transformer) and router, which under 50 connections of this route
 * took about a quarter of the serving thread. Anything else, and every failure of the command,
 * goes on to the route, whose guard counts the caller's verification and whose filter answers;
 * the verification is counted here only when this path answers, so each request counts it once.
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
    if (!caller.principal?.permissions.has(ISSUE_TOKEN_PERMISSION)) return null;
    request.principal = caller.principal;
    const { status, headers, body: issued } = await this.issuance.issue(caller.principal, requestContextOf(request), body, undefined);
    this.credentials.count(caller);
    this.usage.record(caller.principal.credential.id, now);
    return new FastAnswer(status, headers, issued);
  }
}
