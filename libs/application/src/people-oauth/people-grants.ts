import { createHash, randomUUID } from 'node:crypto';
import { v5 as uuidV5 } from 'uuid';
import {
  familyOf,
  findCode,
  findRefreshToken,
  GrantIds,
  NewTokens,
  streamName,
  USER_GRANT_EVENTS,
  UserGrantCommand,
  userGrantDecider,
  UserGrantEvent,
  UserGrantState,
} from '@keyhold/domain';
import { generateSecret, parseSecret, SecretHasher } from '@keyhold/crypto';
import { EventStore } from '@keyhold/event-store';
import { ApplicationError, rejectionOf } from '../application-error';
import { CommandPipeline, RequestContext } from '../command-pipeline';
import { readState } from '../read-state';
import { PeopleClient } from './people-clients';

const GRANT_NAMESPACE = '3c4b1a62-7d0e-5f19-8a2b-6c5d4e3f2a10';

/** One grant stream per tenant, user and client: consent and tokens of that pair live together. */
export const grantIdFor = (tenantId: string, userId: string, clientId: string) => uuidV5(`${tenantId}/${userId}/${clientId}`, GRANT_NAMESPACE);

/** Codes and refresh tokens read `<grant id>.<secret>`: the id finds the stream, the secret proves possession. */
const splitHandle = (value: string, kind: 'authorizationCode' | 'refreshToken'): { grantId: string; secret: string } | null => {
  const [grantId, secret, extra] = value.split('.');
  if (extra !== undefined || !/^[0-9a-f-]{36}$/.test(grantId ?? '') || parseSecret(secret ?? '') !== kind) return null;
  return { grantId, secret };
};

const s256 = (verifier: string) => createHash('sha256').update(verifier, 'ascii').digest('base64url');
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

export type IssuedUserTokens = {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  refresh_token?: string;
  /** For the ID token (OpenID Connect), when the caller adds one. */
  grant: GrantIds & { nonce: string | null; issuedAt: string };
};

type Ran = { events: readonly UserGrantEvent[]; state: UserGrantState };

/** The domain's own refusal of a grant: RFC 6749's `invalid_grant` at the token endpoint. */
const invalidGrant = (message: string) => ApplicationError.rejected({ code: 'InvalidGrant', message });

/** A validated authorization request, as a code is issued for it. */
export type CodeRequest = {
  readonly client: Pick<PeopleClient, 'clientId' | 'firstParty'>;
  readonly redirectUri: string;
  readonly scope: string[];
  readonly codeChallenge: string | null;
  readonly nonce: string | null;
};

/** How long people's access tokens live. */
export type PeopleTokenPolicy = { readonly PEOPLE_ACCESS_TOKEN_TTL_SECONDS: number };

/**
 * The use cases of a person's grant to a client (consent, codes, tokens, withdrawal), through
 * the user-grant decider: every outcome is an event in the grant's stream; a refusal is an
 * ApplicationError, which the OAuth edge answers with RFC 6749's codes.
 */
export class PeopleGrants {
  constructor(
    private readonly commands: CommandPipeline,
    private readonly hasher: SecretHasher,
    private readonly events: EventStore,
    private readonly config: PeopleTokenPolicy,
  ) {}

  async consent(ids: GrantIds, scope: string[], context: RequestContext): Promise<void> {
    await this.run(ids.grantId, { type: 'GrantConsent', ...ids, scope, now: new Date().toISOString() }, ids.tenantId, context);
  }

  /** Issues a code for a signed-in user; null when consent is needed first. */
  async issueCode(tenantId: string, userId: string, request: CodeRequest, context: RequestContext): Promise<string | null> {
    const ids = { tenantId, userId, clientId: request.client.clientId, grantId: grantIdFor(tenantId, userId, request.client.clientId) };
    const secret = generateSecret('authorizationCode');
    const { hash, keyId } = this.hasher.hash(secret);
    try {
      await this.run(
        ids.grantId,
        {
          type: 'IssueAuthorizationCode',
          ...ids,
          consentRequired: !request.client.firstParty,
          codeId: randomUUID(),
          codeHash: { hash, hashKeyId: keyId },
          redirectUri: request.redirectUri,
          codeChallenge: request.codeChallenge,
          scope: request.scope,
          nonce: request.nonce,
          now: new Date().toISOString(),
        },
        tenantId,
        { ...context, actorId: userId },
      );
    } catch (error) {
      if (rejectionOf(error)?.code === 'ConsentRequired') return null;
      throw error;
    }
    return `${ids.grantId}.${secret}`;
  }

  async redeemCode(client: PeopleClient, code: string, redirectUri: string | undefined, verifier: string | undefined, context: RequestContext): Promise<IssuedUserTokens> {
    const handle = splitHandle(code, 'authorizationCode');
    if (!handle) throw invalidGrant('The authorization code is not valid.');
    if (verifier !== undefined && !VERIFIER.test(verifier)) throw ApplicationError.invalid('code_verifier must be 43 to 128 unreserved characters (RFC 7636 §4.1).', 'code_verifier');
    const state = await this.state(handle.grantId);
    const found = findCode(state, this.matcher(handle.secret));
    if (!found || state.status !== 'known') throw invalidGrant('The authorization code is not valid.');
    const tokens = this.newTokens(client.refreshTokens);
    const ran = await this.run(
      handle.grantId,
      { type: 'RedeemAuthorizationCode', codeId: found.codeId, clientId: client.clientId, redirectUri: redirectUri ?? null, verifierChallenge: verifier === undefined ? null : s256(verifier), tokens: tokens.stored, now: new Date().toISOString() },
      state.ids.tenantId,
      { ...context, actorId: client.clientId },
    );
    if (ran.events[0]?.type === 'AuthorizationCodeReplayed') throw invalidGrant('The authorization code was already used; every token issued from it is now revoked.');
    return this.answer(ran, tokens.access, tokens.refresh, handle.grantId);
  }

  async refresh(client: PeopleClient, refreshToken: string, context: RequestContext): Promise<IssuedUserTokens> {
    const handle = splitHandle(refreshToken, 'refreshToken');
    if (!handle) throw invalidGrant('The refresh token is not valid.');
    const state = await this.state(handle.grantId);
    const found = findRefreshToken(state, this.matcher(handle.secret));
    if (!found || state.status !== 'known' || state.ids.clientId !== client.clientId) throw invalidGrant('The refresh token is not valid.');
    const tokens = this.newTokens(true);
    const { familyId: _unused, ...rotated } = tokens.stored;
    const ran = await this.run(handle.grantId, { type: 'RefreshTokens', refreshId: found.refreshId, tokens: rotated, now: new Date().toISOString() }, state.ids.tenantId, {
      ...context,
      actorId: client.clientId,
    });
    if (ran.events[0]?.type === 'RefreshTokenReused') throw invalidGrant('The refresh token was already used; its whole family is now revoked.');
    return this.answer(ran, tokens.access, tokens.refresh, handle.grantId);
  }

  async forPassword(client: PeopleClient, user: { tenantId: string; userId: string }, scope: string[], context: RequestContext): Promise<IssuedUserTokens> {
    const ids = { ...user, clientId: client.clientId, grantId: grantIdFor(user.tenantId, user.userId, client.clientId) };
    const tokens = this.newTokens(client.refreshTokens);
    const ran = await this.run(ids.grantId, { type: 'IssueTokensForPassword', ...ids, scope, tokens: tokens.stored, now: new Date().toISOString() }, user.tenantId, {
      ...context,
      actorId: client.clientId,
    });
    return this.answer(ran, tokens.access, tokens.refresh, ids.grantId);
  }

  /** Withdraws a user's consent to a client and revokes every token issued under it. Only users grant consent. */
  async withdraw(tenantId: string, userId: string, clientId: string, context: RequestContext): Promise<void> {
    if (context.caller.kind !== 'user') throw ApplicationError.forbidden('Only users grant consent to clients.');
    await this.run(grantIdFor(tenantId, userId, clientId), { type: 'WithdrawConsent', tenantId, now: new Date().toISOString() }, tenantId, context);
  }

  /**
   * RFC 7009 for people's refresh tokens: ends the family of a refresh token `clientId` holds
   * (a sign-out). Answers whether `token` has the shape of a refresh token, so that the caller
   * searches no other kind; one of another client, unknown or already revoked changes nothing.
   */
  async revokeRefreshToken(clientId: string, token: string, context: RequestContext): Promise<boolean> {
    const handle = splitHandle(token, 'refreshToken');
    if (!handle) return false;
    const state = await this.state(handle.grantId);
    const found = findRefreshToken(state, this.matcher(handle.secret));
    if (found && state.status === 'known' && state.ids.clientId === clientId) {
      await this.run(handle.grantId, { type: 'RevokeRefreshToken', refreshId: found.refreshId, clientId, now: new Date().toISOString() }, state.ids.tenantId, { ...context, actorId: clientId });
    }
    return true;
  }

  private newTokens(withRefresh: boolean) {
    const access = generateSecret('userAccessToken');
    const refresh = withRefresh ? generateSecret('refreshToken') : null;
    const hashed = (secret: string) => {
      const { hash, keyId } = this.hasher.hash(secret);
      return { hash, hashKeyId: keyId };
    };
    const stored: NewTokens = {
      familyId: randomUUID(),
      accessTokenId: randomUUID(),
      accessTokenHash: hashed(access),
      accessTokenLifetimeMs: this.config.PEOPLE_ACCESS_TOKEN_TTL_SECONDS * 1000,
      refresh: refresh ? { refreshId: randomUUID(), hash: hashed(refresh) } : null,
    };
    return { access, refresh, stored };
  }

  private answer({ events, state }: Ran, access: string, refresh: string | null, grantId: string): IssuedUserTokens {
    const issued = events.find((event) => event.type === 'UserTokensIssued');
    if (!issued || issued.type !== 'UserTokensIssued') throw invalidGrant('No token was issued.');
    const { tenantId, userId, clientId, scope, issuedAt, familyId } = issued.data;
    return {
      access_token: access,
      token_type: 'Bearer',
      expires_in: this.config.PEOPLE_ACCESS_TOKEN_TTL_SECONDS,
      scope: scope.join(' '),
      ...(refresh && issued.data.refresh ? { refresh_token: `${grantId}.${refresh}` } : {}),
      grant: { tenantId, userId, clientId, grantId, issuedAt, nonce: familyOf(state, familyId)?.nonce ?? null },
    };
  }

  private matcher(secret: string) {
    const candidates = this.hasher.candidateHashes(secret);
    return (stored: { hash: string; hashKeyId: string }) => candidates.some((candidate) => SecretHasher.sameHash(candidate, { hash: stored.hash, keyId: stored.hashKeyId }));
  }

  private async state(grantId: string): Promise<UserGrantState> {
    return (await readState(this.events, streamName('userGrant', grantId), userGrantDecider, USER_GRANT_EVENTS)).state;
  }

  /** Runs a command on the grant's stream; a refusal is the decider's own (InvalidGrant among them), mapped at the edge. */
  private async run(grantId: string, command: UserGrantCommand, tenantId: string, context: RequestContext): Promise<Ran> {
    const now = new Date().toISOString();
    const result = await this.commands.run(streamName('userGrant', grantId), userGrantDecider, command, { ...context, tenantId, now });
    return { events: result.events, state: result.state };
  }
}
