import { Body, Controller, Get, Header, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiConsumes, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { FastifyRequest } from 'fastify';
import { Permission, PERMISSIONS } from '@keyhold/domain';
import { SecretHasher } from '@keyhold/crypto';
import { KEYHOLD_CONFIG, KeyholdConfig } from '@keyhold/platform';
import { Public } from '../http/auth';
import { publicBaseUrl } from '../http/public-url';
import { CONSOLE_CLIENT_ID } from '@keyhold/application';
import { PEOPLE_GRANT_TYPES, PeopleTokenEndpoint } from '../people-oauth/people-token-endpoint';
import { OAuthError } from '../http/problem';
import { CurrentRequestContext, RequestContext } from '../http/request-context';
import { OAuthGrant, OAuthIndex } from '../verification/oauth-index';
import { ClientAuthentication } from './client-authentication';
import { IssueAccessTokenCommand, RevokeAccessTokenCommand } from './oauth.commands';
import { AccessTokenResponse, AuthorizationServerMetadata, OpenIdConfiguration, RevocationRequest, RevocationResponse, TokenRequest } from './oauth.dto';

/** Grants defined by RFC 6749 that a client may be allowed; only client_credentials is served here. */
const KNOWN_GRANTS: ReadonlySet<string> = new Set<OAuthGrant>(['authorization_code', 'client_credentials', 'refresh_token', 'password']);

/** The console is a public client (RFC 6749 §2.1): its client_id and no secret; it proves itself with PKCE. */
const isPublicConsole = (request: FastifyRequest, body: { client_id?: string; client_secret?: string }) =>
  body.client_id === CONSOLE_CLIENT_ID && body.client_secret === undefined && request.headers.authorization === undefined;

/**
 * The OAuth 2.0 token endpoint for machine clients (RFC 6749 §4.4), token revocation
 * (RFC 7009) and server metadata (RFC 8414). Clients authenticate with their own secret, so
 * these routes are outside the bearer guard.
 */
@ApiTags('OAuth 2.0')
@Controller()
@Public()
export class OAuthController {
  constructor(
    private readonly commands: CommandBus,
    private readonly clients: ClientAuthentication,
    private readonly oauth: OAuthIndex,
    private readonly hasher: SecretHasher,
    private readonly people: PeopleTokenEndpoint,
    @Inject(KEYHOLD_CONFIG) private readonly config: KeyholdConfig,
  ) {}

  @Post('oauth/token')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiOkResponse({ type: AccessTokenResponse })
  async token(@Req() request: FastifyRequest, @Body() body: TokenRequest, @CurrentRequestContext() context: RequestContext) {
    if (isPublicConsole(request, body)) return this.forPeople(CONSOLE_CLIENT_ID, request, body, context);
    const client = this.clients.authenticate(request, body);
    if (!KNOWN_GRANTS.has(body.grant_type)) throw new OAuthError('unsupported_grant_type', `Unsupported grant_type '${body.grant_type}'.`);
    // A flow that is off for this client is refused as such, before saying what this endpoint serves.
    if (!client.grants.has(body.grant_type as OAuthGrant)) {
      throw new OAuthError('unauthorized_client', `This client may not use the ${body.grant_type} grant.`);
    }
    if (body.grant_type !== 'client_credentials') return this.forPeople(client.clientId, request, body, context);
    const scope = this.grantedScope(body.scope, client.permissions);
    const issued = await this.commands.execute(new IssueAccessTokenCommand(client, scope, { ...context, actorId: client.clientId }));
    return { access_token: issued.accessToken, token_type: 'Bearer', expires_in: issued.expiresIn, scope: issued.scope.join(' ') };
  }

  /** A person's grant (code, refresh, password): tokens carry the user's current rights ∩ the granted scope. */
  private async forPeople(clientId: string, request: FastifyRequest, body: TokenRequest, context: RequestContext) {
    return this.people.token(clientId, body, publicBaseUrl(this.config), context);
  }

  /** RFC 7009: answers 200 whether or not the token was known, so the endpoint tells nothing. */
  @Post('oauth/revoke')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiOkResponse({ type: RevocationResponse })
  async revoke(@Req() request: FastifyRequest, @Body() body: RevocationRequest, @CurrentRequestContext() context: RequestContext): Promise<RevocationResponse> {
    // The console signs out by revoking its refresh token (RFC 7009 §2.1: a public client sends its client_id).
    if (isPublicConsole(request, body)) {
      await this.people.revoke(CONSOLE_CLIENT_ID, body.token, context);
      return {};
    }
    const client = this.clients.authenticate(request, body);
    if (await this.people.revoke(client.clientId, body.token, context)) return {};
    const owner = this.oauth.accessTokenOwner(this.hasher.candidateHashes(body.token));
    if (owner && owner.clientId === client.clientId) {
      await this.commands.execute(new RevokeAccessTokenCommand(client.tenantId, owner.tokenId, { ...context, actorId: client.clientId }));
    }
    return {};
  }

  @Get('.well-known/oauth-authorization-server')
  @ApiOkResponse({ type: AuthorizationServerMetadata })
  metadata() {
    return this.serverMetadata(publicBaseUrl(this.config));
  }

  /** OpenID Connect Discovery 1.0 §3: the same server, with what ID tokens and userinfo need. */
  @Get('.well-known/openid-configuration')
  @ApiOkResponse({ type: OpenIdConfiguration })
  openidConfiguration() {
    const issuer = publicBaseUrl(this.config);
    return {
      ...this.serverMetadata(issuer),
      userinfo_endpoint: `${issuer}/oauth/userinfo`,
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['ES256'],
      claims_supported: ['iss', 'sub', 'aud', 'exp', 'iat', 'nonce', 'tenant_id', 'email'],
    };
  }

  private serverMetadata(issuer: string) {
    const clientAuth = ['client_secret_basic', 'client_secret_post'];
    return {
      issuer,
      authorization_endpoint: `${issuer}/oauth/authorize`,
      token_endpoint: `${issuer}/oauth/token`,
      // 'none': the console, a public client, proves itself with PKCE alone.
      token_endpoint_auth_methods_supported: [...clientAuth, 'none'],
      grant_types_supported: ['client_credentials', ...PEOPLE_GRANT_TYPES],
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
      scopes_supported: [...Object.keys(PERMISSIONS), 'openid'],
      jwks_uri: `${issuer}/oauth/jwks`,
      revocation_endpoint: `${issuer}/oauth/revoke`,
      revocation_endpoint_auth_methods_supported: [...clientAuth, 'none'],
      introspection_endpoint: `${issuer}/oauth/introspect`,
      introspection_endpoint_auth_methods_supported: ['bearer'],
      service_documentation: `${issuer}/openapi.json`,
    };
  }

  /** RFC 6749 §3.3: the requested scope must be within what the client holds; none asked means all it holds. */
  private grantedScope(requested: string | undefined, held: ReadonlySet<Permission>): Permission[] {
    if (requested === undefined) return [...held].sort();
    const asked = [...new Set(requested.split(' '))];
    const beyond = asked.filter((scope) => !held.has(scope as Permission));
    if (beyond.length > 0) {
      throw new OAuthError('invalid_scope', `The client does not hold: ${beyond.join(' ')}.`);
    }
    return (asked as Permission[]).sort();
  }
}
