import { accept, assertNever, Decider } from '../shared/decider';
import { Permission } from '../shared/permissions';

export type OAuthClientKind = 'service_account' | 'api_client';

/**
 * One event per token, as tokens were issued before they were sealed (see `AccessTokenClaims`):
 * no longer written, still read, so that logs written before keep their history and the tokens
 * they issued live out their hour.
 */
export type AccessTokenIssued = {
  type: 'AccessTokenIssued';
  data: {
    tenantId: string;
    tokenId: string;
    clientId: string;
    clientKind: OAuthClientKind;
    scope: Permission[];
    secretHash: string;
    hashKeyId: string;
    /** The client's secret generation when issued: a later secret reset kills the token. */
    clientGeneration: number;
    /**
     * The API-client secret the client authenticated with: the token dies when that secret is
     * removed or expires. Null for a service account (its one secret is the generation above);
     * absent from tokens issued before it was recorded, which live out their hour.
     */
    clientSecretId?: string | null;
    issuedAt: string;
    expiresAt: string;
  };
};

/**
 * The audit record of a client obtaining tokens: one per client, secret generation and hour in
 * which it obtained any, appended before the first of them is handed out. Sealed tokens need
 * nothing in the log to verify, so this bounds the log's growth by clients × hours, not tokens.
 */
export type AccessTokensIssued = {
  type: 'AccessTokensIssued';
  data: {
    tenantId: string;
    clientId: string;
    clientKind: OAuthClientKind;
    clientGeneration: number;
    windowStart: string;
    windowEnd: string;
    /** The first token of the hour: its id, scope and lifetime. */
    tokenId: string;
    scope: Permission[];
    issuedAt: string;
    expiresAt: string;
  };
};

/**
 * RFC 7009 revocation of one token. `expiresAt` bounds how long it must be remembered: after it
 * the token is dead anyway (absent from revocations of tokens issued before they were sealed).
 */
export type AccessTokenRevoked = {
  type: 'AccessTokenRevoked';
  data: { tenantId: string; tokenId: string; clientId: string; revokedAt: string; revokedBy: string; expiresAt?: string };
};
export type AccessTokenEvent = AccessTokenIssued | AccessTokensIssued | AccessTokenRevoked;

/** How long one `AccessTokensIssued` covers. */
export const ISSUANCE_WINDOW_MS = 60 * 60_000;

/** The hour `now` falls in, as `AccessTokensIssued` counts them. */
export const issuanceWindowOf = (now: string): { windowStart: string; windowEnd: string } => {
  const start = Math.floor(Date.parse(now) / ISSUANCE_WINDOW_MS) * ISSUANCE_WINDOW_MS;
  return { windowStart: new Date(start).toISOString(), windowEnd: new Date(start + ISSUANCE_WINDOW_MS).toISOString() };
};

/** The id of the issuance stream of one client, generation and hour (`accessTokenIssuance-<this>`). */
export const issuanceStreamId = (clientId: string, clientGeneration: number, windowStart: string): string =>
  `${clientId}.${clientGeneration}.${Date.parse(windowStart) / ISSUANCE_WINDOW_MS}`;

export type RecordAccessTokenIssuance = { type: 'RecordAccessTokenIssuance' } & AccessTokensIssued['data'];
export type RevokeAccessToken = {
  type: 'RevokeAccessToken';
  tenantId: string;
  tokenId: string;
  clientId: string;
  expiresAt: string;
  revokedBy: string;
  now: string;
};

/** Revoking proves the token first, so nothing is refused: an expired one needs no record. */
export type AccessTokenRejection = never;

export type AccessTokenState = { readonly status: 'none' | 'issued' | 'revoked' };

/**
 * One token's stream: its revocation. Whoever asks has proven the token (its MAC, or for a token
 * issued before sealing, its hash in the index) and that it is theirs; revoking twice is a no-op.
 */
const decide = (command: RevokeAccessToken, state: AccessTokenState) => {
  if (state.status === 'revoked' || command.expiresAt <= command.now) return accept<AccessTokenEvent>();
  const { tenantId, tokenId, clientId, expiresAt, revokedBy, now } = command;
  return accept<AccessTokenEvent>({ type: 'AccessTokenRevoked', data: { tenantId, tokenId, clientId, revokedAt: now, revokedBy, expiresAt } });
};

const evolve = (state: AccessTokenState, event: AccessTokenEvent): AccessTokenState => {
  switch (event.type) {
    case 'AccessTokenIssued':
      return { status: 'issued' };
    case 'AccessTokenRevoked':
      return { status: 'revoked' };
    case 'AccessTokensIssued':
      return state;
    default:
      return assertNever(event);
  }
};

export const accessTokenDecider: Decider<AccessTokenState, RevokeAccessToken, AccessTokenEvent, AccessTokenRejection> = {
  initialState: () => ({ status: 'none' }),
  decide,
  evolve,
};

export type AccessTokenIssuanceState = { readonly status: 'none' | 'recorded' };

/** One client's hour of issuance: recorded once, whichever node or request gets there first. */
export const accessTokenIssuanceDecider: Decider<AccessTokenIssuanceState, RecordAccessTokenIssuance, AccessTokensIssued, never> = {
  initialState: () => ({ status: 'none' }),
  decide: (command, state) => {
    if (state.status === 'recorded') return accept<AccessTokensIssued>();
    const { type: _type, ...data } = command;
    return accept<AccessTokensIssued>({ type: 'AccessTokensIssued', data });
  },
  evolve: () => ({ status: 'recorded' }),
};
