import { Command } from '@nestjs/cqrs';
import { PersonalToken, TokenScope } from '@keyhold/domain';
import { Principal } from '../verification/principal';
import { RequestContext } from '../http/request-context';

/** A token as the command left it; `secret` only when this very command created it. */
export type OwnedToken = { ownerId: string; token: PersonalToken };
export type IssuedToken = OwnedToken & { secret: string | null };

/** Issues a personal token to `ownerId`; the owner's rights cap the token whatever its scope. */
export class IssueTokenCommand extends Command<IssuedToken> {
  constructor(
    readonly tenantId: string,
    readonly ownerId: string,
    readonly label: string,
    readonly scope: TokenScope,
    readonly expiresAt: string | null,
    readonly idempotencyKey: string | null,
    readonly context: RequestContext,
  ) {
    super();
  }
}

export class RevokeTokenCommand extends Command<OwnedToken> {
  constructor(
    readonly principal: Principal,
    readonly tokenId: string,
    readonly reason: string | null,
    readonly context: RequestContext,
  ) {
    super();
  }
}
