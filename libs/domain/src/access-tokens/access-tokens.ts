import { accept, assertNever, Decider, reject } from '../shared/decider';
import { Permission } from '../shared/permissions';
import { Rejection } from '../shared/rejection';

export type OAuthClientKind = 'service_account' | 'api_client';

/**
 * One stream per access token: issuing one is an append to a stream that must not exist,
 * so the hot path never reads a client's ever-growing history.
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
export type AccessTokenRevoked = {
  type: 'AccessTokenRevoked';
  data: { tenantId: string; tokenId: string; clientId: string; revokedAt: string; revokedBy: string };
};
export type AccessTokenEvent = AccessTokenIssued | AccessTokenRevoked;

export type IssueAccessToken = { type: 'IssueAccessToken' } & Omit<AccessTokenIssued['data'], 'issuedAt'> & { now: string };
export type RevokeAccessToken = { type: 'RevokeAccessToken'; revokedBy: string; now: string };
export type AccessTokenCommand = IssueAccessToken | RevokeAccessToken;

export type AccessTokenRejection = Rejection<'AccessTokenExists' | 'AccessTokenNotFound'>;

export type AccessTokenState =
  | { readonly status: 'none' }
  | { readonly status: 'issued' | 'revoked'; readonly tenantId: string; readonly tokenId: string; readonly clientId: string };

const decide = (command: AccessTokenCommand, state: AccessTokenState) => {
  switch (command.type) {
    case 'IssueAccessToken': {
      if (state.status !== 'none') return reject<AccessTokenRejection>({ code: 'AccessTokenExists', message: 'Access token already exists.' });
      const { type: _type, now, ...data } = command;
      return accept<AccessTokenEvent>({ type: 'AccessTokenIssued', data: { ...data, issuedAt: now } });
    }
    case 'RevokeAccessToken':
      if (state.status === 'none') return reject<AccessTokenRejection>({ code: 'AccessTokenNotFound', message: 'Access token not found.' });
      if (state.status === 'revoked') return accept<AccessTokenEvent>();
      return accept<AccessTokenEvent>({
        type: 'AccessTokenRevoked',
        data: { tenantId: state.tenantId, tokenId: state.tokenId, clientId: state.clientId, revokedAt: command.now, revokedBy: command.revokedBy },
      });
    default:
      return assertNever(command);
  }
};

const evolve = (state: AccessTokenState, event: AccessTokenEvent): AccessTokenState => {
  switch (event.type) {
    case 'AccessTokenIssued':
      return { status: 'issued', tenantId: event.data.tenantId, tokenId: event.data.tokenId, clientId: event.data.clientId };
    case 'AccessTokenRevoked':
      return state.status === 'none' ? state : { ...state, status: 'revoked' };
    default:
      return assertNever(event);
  }
};

export const accessTokenDecider: Decider<AccessTokenState, AccessTokenCommand, AccessTokenEvent, AccessTokenRejection> = {
  initialState: () => ({ status: 'none' }),
  decide,
  evolve,
};
