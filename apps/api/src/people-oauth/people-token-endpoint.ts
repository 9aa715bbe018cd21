import { Injectable } from '@nestjs/common';
import { OAuthError } from '../http/problem';
import { RequestContext } from '../http/request-context';
import { TokenRequest } from '../oauth/oauth.dto';
import { peopleScope } from './authorization-request';
import { IssuedUserTokens, PeopleClient, PeopleClients, PeopleGrants, rejectionOf, SignIn } from '@keyhold/application';
import { OidcSigning } from './oidc';

/** Grants served to people's clients at /oauth/token, besides client_credentials. */
export const PEOPLE_GRANT_TYPES = ['authorization_code', 'refresh_token', 'password'] as const;

const required = (value: string | undefined, name: string): string => {
  if (value === undefined || value === '') throw new OAuthError('invalid_request', `${name} is required.`);
  return value;
};

/**
 * The token endpoint's grants for people (RFC 6749 §4.1.3, §6, §4.3). The client is already
 * authenticated (a confidential API client) or is the public console, identified by client_id
 * and proven by PKCE. Answers tokens; an ID token is added by the caller for `openid`.
 */
@Injectable()
export class PeopleTokenEndpoint {
  constructor(
    private readonly clients: PeopleClients,
    private readonly grants: PeopleGrants,
    private readonly signIn: SignIn,
    private readonly oidc: OidcSigning,
  ) {}

  /** The token response: an ID token besides the access token when `openid` was granted (OpenID Connect Core §3.1.3.3). */
  async token(clientId: string, body: TokenRequest, issuer: string, context: RequestContext) {
    const { grant, ...tokens } = await this.grant(clientId, body, issuer, context);
    if (!tokens.scope.split(' ').includes('openid')) return tokens;
    const idToken = await this.oidc.idToken({ issuer, subject: grant.userId, audience: grant.clientId, tenantId: grant.tenantId, nonce: grant.nonce });
    return { ...tokens, id_token: idToken };
  }

  /** RFC 7009 for what this endpoint issued to people: true when `token` is a refresh token (revoked if `clientId` holds it). */
  revoke(clientId: string, token: string, context: RequestContext): Promise<boolean> {
    return this.grants.revokeRefreshToken(clientId, token, context);
  }

  private async grant(clientId: string, body: TokenRequest, issuer: string, context: RequestContext): Promise<IssuedUserTokens> {
    const client = await this.clients.find(clientId, issuer);
    if (!client) throw new OAuthError('invalid_client', 'Client authentication failed.', 401);
    switch (body.grant_type) {
      case 'authorization_code':
        return this.grants.redeemCode(client, required(body.code, 'code'), body.redirect_uri, body.code_verifier, context);
      case 'refresh_token':
        if (!client.refreshTokens) throw new OAuthError('unauthorized_client', 'This client may not use the refresh_token grant.');
        return this.grants.refresh(client, required(body.refresh_token, 'refresh_token'), context);
      case 'password':
        return this.password(client, body, context);
      default:
        throw new OAuthError('unsupported_grant_type', `Unsupported grant_type '${body.grant_type}'.`);
    }
  }

  private async password(client: PeopleClient, body: TokenRequest, context: RequestContext): Promise<IssuedUserTokens> {
    if (!client.password || client.tenantId === null) throw new OAuthError('unauthorized_client', 'This client may not use the password grant.');
    const username = required(body.username, 'username');
    const password = required(body.password, 'password');
    const scope = peopleScope(body.scope ?? null);
    if ('unknown' in scope) throw new OAuthError('invalid_scope', `Unknown scope: ${scope.unknown.join(' ').slice(0, 200)}.`);
    let user: { tenantId: string; userId: string };
    try {
      user = await this.signIn.checkInTenant(client.tenantId, client.tenantId, username, password, context);
    } catch (error) {
      // A failed sign-in is a refused grant here; throttling is answered by the OAuth edge's mapping (invalid_grant, 429).
      if (rejectionOf(error)?.code === 'SignInFailed') throw new OAuthError('invalid_grant', 'The username or password is not correct.');
      throw error;
    }
    return this.grants.forPassword(client, user, scope.scope, context);
  }
}
