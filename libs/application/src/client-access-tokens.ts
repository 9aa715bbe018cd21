import { ACCESS_TOKENS, AccessTokenView, ReadModelStore } from '@keyhold/read-models';

/** An issuance hour (or a token issued before tokens were sealed) as lists show it: never a token. */
export type AccessTokenSummary = { readonly id: string; readonly scope: string; readonly issuedAt: string; readonly expiresAt: string };

/** Access tokens listed at most per client. */
const LISTED = 200;

/**
 * The issuance hours of an OAuth client (an API client, a service account) whose tokens may still
 * be live at `now`: not revoked and before the hour's latest expiry, newest first; `where`
 * narrows them further (a secret generation). A token of a listed hour may still be refused.
 */
export const liveAccessTokens = async (
  readModels: ReadModelStore,
  where: { readonly clientId: string; readonly clientGeneration?: number },
  now: string,
): Promise<AccessTokenSummary[]> => {
  const page = await readModels.collection<AccessTokenView>(ACCESS_TOKENS).list({ where: { ...where, status: 'active' }, orderBy: 'issuedAt', direction: 'desc', limit: LISTED });
  return page.items.filter((token) => token.expiresAt > now).map(({ id, scope, issuedAt, expiresAt }) => ({ id, scope: scope.join(' '), issuedAt, expiresAt }));
};
