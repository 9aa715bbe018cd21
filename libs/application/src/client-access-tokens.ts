import { ACCESS_TOKENS, AccessTokenView, ReadModelStore } from '@keyhold/read-models';

/** An access token as lists show it: never the token. */
export type AccessTokenSummary = { readonly id: string; readonly scope: string; readonly issuedAt: string; readonly expiresAt: string };

/** Access tokens listed at most per client. */
const LISTED = 200;

/**
 * The access tokens of an OAuth client (an API client, a service account) that authenticate at
 * `now`: active and unexpired, newest first; `where` narrows them further (a secret generation).
 */
export const liveAccessTokens = async (
  readModels: ReadModelStore,
  where: { readonly clientId: string; readonly clientGeneration?: number },
  now: string,
): Promise<AccessTokenSummary[]> => {
  const page = await readModels.collection<AccessTokenView>(ACCESS_TOKENS).list({ where: { ...where, status: 'active' }, orderBy: 'issuedAt', direction: 'desc', limit: LISTED });
  return page.items.filter((token) => token.expiresAt > now).map(({ id, scope, issuedAt, expiresAt }) => ({ id, scope: scope.join(' '), issuedAt, expiresAt }));
};
