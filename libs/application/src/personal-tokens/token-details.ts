import { PersonalToken, TokenScope, personalTokenStatus } from '@keyhold/domain';
import { TokenView } from '@keyhold/read-models';
import { RequestContext } from '../command-pipeline';

/** What a caller may see of a token: never the secret, never its hash. */
export type TokenDetails = {
  readonly id: string;
  readonly ownerId: string;
  readonly label: string;
  readonly scope: TokenScope;
  readonly status: 'active' | 'revoked' | 'expired';
  readonly hint: string;
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly revokedAt: string | null;
  readonly lastUsedAt: string | null;
};

/** A token as a command left it, with its owner. */
export type OwnedToken = { readonly ownerId: string; readonly token: PersonalToken };

/** Last use is recorded apart from the log, in batches (the verification side's usage recorder). */
export interface TokenUsage {
  lastUsedAt(tokenIds: string[]): Promise<Map<string, string>>;
}

export const detailsOfOwned = ({ ownerId, token }: OwnedToken, now: string): TokenDetails => ({
  id: token.tokenId,
  ownerId,
  label: token.label,
  scope: token.scope,
  status: personalTokenStatus(token, now),
  hint: token.hint,
  createdAt: token.issuedAt,
  expiresAt: token.expiresAt,
  revokedAt: token.status === 'revoked' ? token.revokedAt : null,
  lastUsedAt: null,
});

export const detailsOfViews = async (usage: TokenUsage, tokens: TokenView[]): Promise<TokenDetails[]> => {
  const lastUsed = await usage.lastUsedAt(tokens.map((token) => token.id));
  const now = new Date().toISOString();
  return tokens.map((token) => ({
    id: token.id,
    ownerId: token.ownerId,
    label: token.label,
    scope: token.scope,
    status: personalTokenStatus(token, now),
    hint: token.hint,
    createdAt: token.createdAt,
    expiresAt: token.expiresAt,
    revokedAt: token.revokedAt,
    lastUsedAt: lastUsed.get(token.id) ?? null,
  }));
};

/** A caller sees its own tokens, and every token of its tenant with tokens:read_all; others do not exist for it. */
export const mayReadToken = (tenantId: string, context: RequestContext, token: { readonly tenantId: string; readonly ownerId: string }): boolean =>
  token.tenantId === tenantId && (token.ownerId === context.actorId || context.caller.permissions.has('tokens:read_all'));
