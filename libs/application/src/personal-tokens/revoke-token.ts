import { personalTokensDecider, streamName } from '@keyhold/domain';
import { GlobalPosition } from '@keyhold/event-store';
import { ApplicationError } from '../application-error';
import { CommandPipeline, RequestContext } from '../command-pipeline';
import { mayReadToken, OwnedToken } from './token-details';

export type RevokeTokenInput = {
  readonly tenantId: string;
  readonly tokenId: string;
  readonly reason: string | null;
  readonly context: RequestContext;
  /** The owner's stream revision the caller saw (If-Match); omitted, the revocation applies to whatever is current. */
  readonly expectedRevision?: number;
};

/**
 * Whose a token is, from the log alone: revoking keeps working while the read models are away,
 * for revocation is the command that must never wait.
 */
export interface TokenOwners {
  ownerOf(tokenId: string): { readonly tenantId: string; readonly ownerId: string } | null;
}

/** Answers once this node enforces a revocation at `position`, or fails with not-enforced-yet. */
export interface RevocationEnforcement {
  confirmRevocation(position: GlobalPosition | null): Promise<void>;
}

/** Revokes a personal token: its owner with tokens:write, anyone else of the tenant with tokens:revoke_all. */
export class RevokePersonalToken {
  constructor(
    private readonly commands: CommandPipeline,
    private readonly owners: TokenOwners,
    private readonly enforcement: RevocationEnforcement,
  ) {}

  async execute({ tenantId, tokenId, reason, context, expectedRevision }: RevokeTokenInput): Promise<OwnedToken> {
    const token = this.owners.ownerOf(tokenId);
    // Another tenant's token, or one the caller may not even read, does not exist for the caller.
    if (!token || !mayReadToken(tenantId, context, token)) throw ApplicationError.notFound('Token not found.');
    const needed = token.ownerId === context.actorId ? 'tokens:write' : 'tokens:revoke_all';
    if (!context.caller.permissions.has(needed)) throw ApplicationError.forbidden(`Revoking this token needs '${needed}'.`);
    const now = new Date().toISOString();
    const result = await this.commands.run(
      streamName('personalTokens', token.ownerId),
      personalTokensDecider,
      { type: 'RevokeToken', tokenId, revokedBy: context.actorId, reason, now },
      { ...context, ...(reason ? { reason } : {}), tenantId, now },
      { expectedRevision },
    );
    await this.enforcement.confirmRevocation(result.position);
    const revoked = result.state.tokens.get(tokenId);
    // The decider refuses a token its stream does not hold, so an accepted revocation has one.
    if (!revoked) throw new Error('A revoked token is missing from its stream state');
    return { ownerId: token.ownerId, token: revoked };
  }
}
