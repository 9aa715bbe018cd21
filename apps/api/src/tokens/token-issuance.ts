import { Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { detailsOfOwned, RequestContext } from '@keyhold/application';
import { Problem } from '../http/problem';
import { Principal, userIdOf } from '../verification/principal';
import { IssuedTokenResponse, IssueTokenDto, TokenResponse } from './token.dto';
import { IssueTokenCommand } from './tokens.commands';

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{8,128}$/;

/** What `POST /v1/tokens` answers: its status, its headers and its body. */
export type IssueAnswer = {
  readonly status: 200 | 201;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: IssuedTokenResponse | TokenResponse;
};

/**
 * Issues a personal token to the calling user and shapes `POST /v1/tokens`'s answer, for the
 * route and its fast path alike: a new token answers 201 with its secret, this once; a retry
 * with the same Idempotency-Key answers 200 with the token issued before, without it.
 */
@Injectable()
export class TokenIssuance {
  constructor(private readonly commands: CommandBus) {}

  async issue(principal: Principal, context: RequestContext, body: Pick<IssueTokenDto, 'label' | 'scope' | 'expiresAt'>, idempotencyKey: string | undefined): Promise<IssueAnswer> {
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw new Problem('validation-error', 'Idempotency-Key must be 8 to 128 characters of A-Z a-z 0-9 . _ : -');
    }
    const issued = await this.commands.execute(
      new IssueTokenCommand({
        tenantId: principal.tenantId,
        ownerId: userIdOf(principal),
        label: body.label,
        scope: body.scope,
        expiresAt: body.expiresAt ? new Date(body.expiresAt).toISOString() : null,
        idempotencyKey: idempotencyKey ?? null,
        context,
      }),
    );
    const details = detailsOfOwned(issued, new Date().toISOString());
    if (issued.secret === null) return { status: 200, headers: { 'cache-control': 'no-store', 'idempotent-replayed': 'true' }, body: details };
    return { status: 201, headers: { 'cache-control': 'no-store', location: `/v1/tokens/${issued.token.tokenId}` }, body: { ...details, token: issued.secret } };
  }
}
