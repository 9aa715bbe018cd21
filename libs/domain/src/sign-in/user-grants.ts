import { List as ImmutableList, Map as ImmutableMap, OrderedMap } from 'immutable';
import { accept, assertNever, Decider, reject } from '../shared/decider';
import { Rejection } from '../shared/rejection';
import { hasExpired } from '../shared/expiry';

/**
 * What one user has granted one OAuth client, in a stream per user and client
 * (`userGrant-<grant id>`): the consent (remembered, withdrawable), the authorization codes issued
 * under it, and the token families (one per code redemption or password grant; a family is an
 * access token chain with its refresh tokens, rotated on every use). Codes and refresh tokens
 * are found by the caller matching keyed hashes against this state; the decider only sees ids.
 */
export const AUTHORIZATION_CODE_LIFETIME_MS = 60 * 1000;
export const REFRESH_FAMILY_LIFETIME_MS = 30 * 24 * 60 * 60 * 1000;

export type GrantIds = { tenantId: string; userId: string; clientId: string; grantId: string };
type StoredHash = { hash: string; hashKeyId: string };
export type TokenVia = 'authorization_code' | 'refresh_token' | 'password';
export type GrantRevocationReason = 'code-replayed' | 'refresh-token-reused' | 'consent-withdrawn' | 'revoked-by-client';

export type ConsentGranted = { type: 'ConsentGranted'; data: GrantIds & { scope: string[]; grantedAt: string } };
export type ConsentWithdrawn = { type: 'ConsentWithdrawn'; data: GrantIds & { withdrawnAt: string } };
export type AuthorizationCodeIssued = {
  type: 'AuthorizationCodeIssued';
  data: GrantIds & {
    codeId: string;
    codeHash: string;
    hashKeyId: string;
    redirectUri: string;
    /** The S256 challenge (RFC 7636), or null for a confidential client that sent none and need not. */
    codeChallenge: string | null;
    scope: string[];
    nonce: string | null;
    issuedAt: string;
    expiresAt: string;
  };
};
export type UserTokensIssued = {
  type: 'UserTokensIssued';
  data: GrantIds & {
    via: TokenVia;
    familyId: string;
    codeId: string | null;
    previousRefreshId: string | null;
    accessTokenId: string;
    accessTokenHash: string;
    hashKeyId: string;
    scope: string[];
    issuedAt: string;
    expiresAt: string;
    refresh: { refreshId: string; hash: string; hashKeyId: string; familyExpiresAt: string } | null;
  };
};
export type AuthorizationCodeReplayed = { type: 'AuthorizationCodeReplayed'; data: GrantIds & { codeId: string; detectedAt: string } };
export type RefreshTokenReused = { type: 'RefreshTokenReused'; data: GrantIds & { familyId: string; refreshId: string; detectedAt: string } };
export type UserTokensRevoked = {
  type: 'UserTokensRevoked';
  data: GrantIds & { familyIds: string[]; accessTokenIds: string[]; reason: GrantRevocationReason; revokedAt: string };
};
export type UserGrantEvent = ConsentGranted | ConsentWithdrawn | AuthorizationCodeIssued | UserTokensIssued | AuthorizationCodeReplayed | RefreshTokenReused | UserTokensRevoked;

/** New tokens, generated and hashed by the caller. */
export type NewTokens = {
  familyId: string;
  accessTokenId: string;
  accessTokenHash: StoredHash;
  /** How long the access token lives (the service's setting, an input like the clock). */
  accessTokenLifetimeMs: number;
  refresh: { refreshId: string; hash: StoredHash } | null;
};

export type GrantConsent = GrantIds & { type: 'GrantConsent'; scope: string[]; now: string };
export type IssueAuthorizationCode = GrantIds & {
  type: 'IssueAuthorizationCode';
  /** False for a first-party client (no consent screen). */
  consentRequired: boolean;
  codeId: string;
  codeHash: StoredHash;
  redirectUri: string;
  codeChallenge: string | null;
  scope: string[];
  nonce: string | null;
  now: string;
};
export type RedeemAuthorizationCode = {
  type: 'RedeemAuthorizationCode';
  codeId: string;
  clientId: string;
  redirectUri: string | null;
  /** S256 of the presented code_verifier (computed by the caller), or null when none was sent. */
  verifierChallenge: string | null;
  tokens: NewTokens;
  now: string;
};
export type RefreshTokens = { type: 'RefreshTokens'; refreshId: string; tokens: Omit<NewTokens, 'familyId'>; now: string };
export type IssueTokensForPassword = GrantIds & { type: 'IssueTokensForPassword'; scope: string[]; tokens: NewTokens; now: string };
export type WithdrawConsent = { type: 'WithdrawConsent'; tenantId: string; now: string };
/** RFC 7009: the client that holds a refresh token gives it up (a sign-out); its family ends, access tokens included. */
export type RevokeRefreshToken = { type: 'RevokeRefreshToken'; refreshId: string; clientId: string; now: string };
export type UserGrantCommand = GrantConsent | IssueAuthorizationCode | RedeemAuthorizationCode | RefreshTokens | IssueTokensForPassword | WithdrawConsent | RevokeRefreshToken;

export type UserGrantRejection = Rejection<'ConsentRequired' | 'InvalidGrant' | 'GrantNotFound'>;

type CodeState = {
  readonly codeHash: string;
  readonly hashKeyId: string;
  readonly redirectUri: string;
  readonly codeChallenge: string | null;
  readonly scope: readonly string[];
  readonly nonce: string | null;
  readonly expiresAt: string;
  readonly redeemed: boolean;
};
/**
 * A family grows by an access token and a refresh token at every rotation (every 15 minutes of a
 * session, for up to 30 days), and a grant by a code and a family at every sign-in: persistent
 * collections (immutable.js) add one and share the rest. Copying them at every event made a cold
 * fold of a family rotated 500 times cost 37 ms, and one rotation on a cached state 0.14 ms.
 */
type FamilyState = {
  readonly codeId: string | null;
  readonly scope: readonly string[];
  readonly nonce: string | null;
  readonly accessTokenIds: ImmutableList<string>;
  /** Every refresh token of the family: the current one, and the rotated ones whose reuse is theft. */
  readonly refreshTokens: ImmutableMap<string, StoredHash & { readonly current: boolean }>;
  readonly expiresAt: string | null;
  readonly revoked: boolean;
};
export type UserGrantState =
  | { readonly status: 'none' }
  | {
      readonly status: 'known';
      readonly ids: GrantIds;
      readonly consent: readonly string[] | null;
      readonly codes: ImmutableMap<string, CodeState>;
      /** In the order the families began, which revocations list them in. */
      readonly families: OrderedMap<string, FamilyState>;
    };

const plus = (instant: string, ms: number) => new Date(Date.parse(instant) + ms).toISOString();
const covers = (consented: readonly string[] | null, scope: readonly string[]) => consented !== null && scope.every((item) => consented.includes(item));
const invalidGrant = (message: string) => reject<UserGrantRejection>({ code: 'InvalidGrant', message });

/** The code whose hash is one of `matches`, as the caller found it; exported for the token endpoint. */
export const findCode = (state: UserGrantState, matches: (stored: StoredHash) => boolean): { codeId: string; code: CodeState } | null => {
  if (state.status === 'none') return null;
  for (const [codeId, code] of state.codes) if (matches({ hash: code.codeHash, hashKeyId: code.hashKeyId })) return { codeId, code };
  return null;
};

export const findRefreshToken = (state: UserGrantState, matches: (stored: StoredHash) => boolean): { familyId: string; refreshId: string } | null => {
  if (state.status === 'none') return null;
  for (const [familyId, family] of state.families) {
    for (const [refreshId, stored] of family.refreshTokens) if (matches(stored)) return { familyId, refreshId };
  }
  return null;
};

export const familyOf = (state: UserGrantState, familyId: string): FamilyState | null => (state.status === 'known' ? (state.families.get(familyId) ?? null) : null);

const tokensIssued = (ids: GrantIds, via: TokenVia, tokens: NewTokens, scope: readonly string[], now: string, extra: { codeId?: string; previousRefreshId?: string; familyExpiresAt: string }): UserTokensIssued => ({
  type: 'UserTokensIssued',
  data: {
    ...ids,
    via,
    familyId: tokens.familyId,
    codeId: extra.codeId ?? null,
    previousRefreshId: extra.previousRefreshId ?? null,
    accessTokenId: tokens.accessTokenId,
    accessTokenHash: tokens.accessTokenHash.hash,
    hashKeyId: tokens.accessTokenHash.hashKeyId,
    scope: [...scope],
    issuedAt: now,
    expiresAt: plus(now, tokens.accessTokenLifetimeMs),
    refresh: tokens.refresh ? { refreshId: tokens.refresh.refreshId, ...tokens.refresh.hash, familyExpiresAt: extra.familyExpiresAt } : null,
  },
});

const revoke = (ids: GrantIds, families: ReadonlyArray<[string, FamilyState]>, reason: GrantRevocationReason, now: string): UserTokensRevoked[] => {
  const live = families.filter(([, family]) => !family.revoked);
  if (live.length === 0) return [];
  return [
    {
      type: 'UserTokensRevoked',
      data: { ...ids, familyIds: live.map(([familyId]) => familyId), accessTokenIds: live.flatMap(([, family]) => family.accessTokenIds.toArray()), reason, revokedAt: now },
    },
  ];
};

const decide = (command: UserGrantCommand, state: UserGrantState) => {
  switch (command.type) {
    case 'GrantConsent': {
      const { type: _type, now, scope, ...ids } = command;
      if (state.status === 'known' && covers(state.consent, scope)) return accept<UserGrantEvent>();
      const merged = [...new Set([...(state.status === 'known' ? (state.consent ?? []) : []), ...scope])].sort();
      return accept<UserGrantEvent>({ type: 'ConsentGranted', data: { ...ids, scope: merged, grantedAt: now } });
    }
    case 'IssueAuthorizationCode': {
      const { type: _type, consentRequired, now, codeHash, ...rest } = command;
      if (consentRequired && (state.status === 'none' || !covers(state.consent, command.scope))) {
        return reject<UserGrantRejection>({ code: 'ConsentRequired', message: 'The user has not consented to this scope for this client.' });
      }
      const { tenantId, userId, clientId, grantId, codeId, redirectUri, codeChallenge, scope, nonce } = rest;
      return accept<UserGrantEvent>({
        type: 'AuthorizationCodeIssued',
        data: { tenantId, userId, clientId, grantId, codeId, codeHash: codeHash.hash, hashKeyId: codeHash.hashKeyId, redirectUri, codeChallenge, scope, nonce, issuedAt: now, expiresAt: plus(now, AUTHORIZATION_CODE_LIFETIME_MS) },
      });
    }
    case 'RedeemAuthorizationCode': {
      if (state.status === 'none') return invalidGrant('The authorization code is not valid.');
      const code = state.codes.get(command.codeId);
      if (!code || state.ids.clientId !== command.clientId) return invalidGrant('The authorization code is not valid.');
      if (code.redeemed) {
        // RFC 6749 §4.1.2: a code used twice revokes every token issued from it.
        const fromCode = [...state.families].filter(([, family]) => family.codeId === command.codeId);
        return accept<UserGrantEvent>(
          { type: 'AuthorizationCodeReplayed', data: { ...state.ids, codeId: command.codeId, detectedAt: command.now } },
          ...revoke(state.ids, fromCode, 'code-replayed', command.now),
        );
      }
      if (command.now >= code.expiresAt) return invalidGrant('The authorization code has expired.');
      if (command.redirectUri !== code.redirectUri) return invalidGrant('redirect_uri differs from the one the code was issued for.');
      if (code.codeChallenge === null ? command.verifierChallenge !== null : command.verifierChallenge !== code.codeChallenge) {
        return invalidGrant(code.codeChallenge === null ? 'code_verifier was sent, but the authorization request had no code_challenge.' : 'code_verifier does not match the code_challenge.');
      }
      return accept<UserGrantEvent>(
        tokensIssued(state.ids, 'authorization_code', command.tokens, code.scope, command.now, { codeId: command.codeId, familyExpiresAt: plus(command.now, REFRESH_FAMILY_LIFETIME_MS) }),
      );
    }
    case 'RefreshTokens': {
      if (state.status === 'none') return invalidGrant('The refresh token is not valid.');
      const found = [...state.families].find(([, family]) => family.refreshTokens.has(command.refreshId));
      if (!found) return invalidGrant('The refresh token is not valid.');
      const [familyId, family] = found;
      if (family.revoked) return invalidGrant('The refresh token was revoked.');
      if (!family.refreshTokens.get(command.refreshId)!.current) {
        // RFC 9700 §4.14.2: a rotated refresh token used again means one of its holders stole it.
        return accept<UserGrantEvent>(
          { type: 'RefreshTokenReused', data: { ...state.ids, familyId, refreshId: command.refreshId, detectedAt: command.now } },
          ...revoke(state.ids, [found], 'refresh-token-reused', command.now),
        );
      }
      if (hasExpired(family.expiresAt, command.now)) return invalidGrant('The refresh token has expired: sign in again.');
      return accept<UserGrantEvent>(
        tokensIssued(state.ids, 'refresh_token', { ...command.tokens, familyId }, family.scope, command.now, { previousRefreshId: command.refreshId, familyExpiresAt: family.expiresAt! }),
      );
    }
    case 'IssueTokensForPassword': {
      const { tenantId, userId, clientId, grantId } = command;
      return accept<UserGrantEvent>(
        tokensIssued({ tenantId, userId, clientId, grantId }, 'password', command.tokens, command.scope, command.now, { familyExpiresAt: plus(command.now, REFRESH_FAMILY_LIFETIME_MS) }),
      );
    }
    case 'WithdrawConsent': {
      if (state.status === 'none' || state.ids.tenantId !== command.tenantId) return reject<UserGrantRejection>({ code: 'GrantNotFound', message: 'Nothing was granted to this client.' });
      if (state.consent === null && [...state.families.values()].every((family) => family.revoked)) return accept<UserGrantEvent>();
      return accept<UserGrantEvent>(
        { type: 'ConsentWithdrawn', data: { ...state.ids, withdrawnAt: command.now } },
        ...revoke(state.ids, [...state.families], 'consent-withdrawn', command.now),
      );
    }
    case 'RevokeRefreshToken': {
      if (state.status === 'none' || state.ids.clientId !== command.clientId) return reject<UserGrantRejection>({ code: 'GrantNotFound', message: 'This client holds no such refresh token.' });
      const found = [...state.families].find(([, family]) => family.refreshTokens.has(command.refreshId));
      if (!found) return reject<UserGrantRejection>({ code: 'GrantNotFound', message: 'This client holds no such refresh token.' });
      // Revoking twice, or a family already revoked, changes nothing.
      return accept<UserGrantEvent>(...revoke(state.ids, [found], 'revoked-by-client', command.now));
    }
    default:
      return assertNever(command);
  }
};

const known = (state: UserGrantState, ids: GrantIds): Extract<UserGrantState, { status: 'known' }> =>
  state.status === 'known' ? state : { status: 'known', ids, consent: null, codes: ImmutableMap(), families: OrderedMap() };

const evolve = (current: UserGrantState, event: UserGrantEvent): UserGrantState => {
  const { tenantId, userId, clientId, grantId } = event.data;
  const state = known(current, { tenantId, userId, clientId, grantId });
  switch (event.type) {
    case 'ConsentGranted':
      return { ...state, consent: event.data.scope };
    case 'ConsentWithdrawn':
      return { ...state, consent: null };
    case 'AuthorizationCodeIssued': {
      const { codeId, codeHash, hashKeyId, redirectUri, codeChallenge, scope, nonce, expiresAt } = event.data;
      return { ...state, codes: state.codes.set(codeId, { codeHash, hashKeyId, redirectUri, codeChallenge, scope, nonce, expiresAt, redeemed: false }) };
    }
    case 'UserTokensIssued': {
      const { familyId, codeId, previousRefreshId, accessTokenId, refresh, scope } = event.data;
      const code = codeId ? state.codes.get(codeId) : undefined;
      const codes = codeId && code ? state.codes.set(codeId, { ...code, redeemed: true }) : state.codes;
      const previous = state.families.get(familyId);
      const earlier = previous?.refreshTokens ?? ImmutableMap<string, StoredHash & { readonly current: boolean }>();
      const rotated = previousRefreshId === null ? undefined : earlier.get(previousRefreshId);
      const kept = previousRefreshId !== null && rotated ? earlier.set(previousRefreshId, { ...rotated, current: false }) : earlier;
      const refreshTokens = refresh ? kept.set(refresh.refreshId, { hash: refresh.hash, hashKeyId: refresh.hashKeyId, current: true }) : kept;
      const family: FamilyState = {
        codeId: previous?.codeId ?? codeId,
        scope: previous?.scope ?? scope,
        nonce: previous?.nonce ?? code?.nonce ?? null,
        accessTokenIds: (previous?.accessTokenIds ?? ImmutableList<string>()).push(accessTokenId),
        refreshTokens,
        expiresAt: refresh?.familyExpiresAt ?? previous?.expiresAt ?? null,
        revoked: false,
      };
      return { ...state, codes, families: state.families.set(familyId, family) };
    }
    case 'AuthorizationCodeReplayed':
    case 'RefreshTokenReused':
      return state;
    case 'UserTokensRevoked': {
      const families = event.data.familyIds.reduce((all, familyId) => {
        const family = all.get(familyId);
        return family ? all.set(familyId, { ...family, revoked: true }) : all;
      }, state.families);
      return { ...state, families };
    }
    default:
      return assertNever(event);
  }
};

export const userGrantDecider: Decider<UserGrantState, UserGrantCommand, UserGrantEvent, UserGrantRejection> = {
  initialState: () => ({ status: 'none' }),
  decide,
  evolve,
};
