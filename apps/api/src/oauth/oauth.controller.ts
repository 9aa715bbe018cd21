import { Body, Controller, Get, Header, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiConsumes, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { FastifyRequest } from 'fastify';
import { PERMISSIONS } from '@keyhold/domain';
import { KEYHOLD_CONFIG, KeyholdConfig } from '@keyhold/platform';
import { Public } from '../http/auth';
import { publicBaseUrl } from '../http/public-url';
import { CONSOLE_CLIENT_ID } from '@keyhold/application';
import { PEOPLE_GRANT_TYPES, PeopleTokenEndpoint } from '../people-oauth/people-token-endpoint';
import { CurrentRequestContext, RequestContext } from '../http/request-context';
import { OAuthIndex } from '../verification/oauth-index';
import { ClientAuthentication } from './client-authentication';
import { RevokeAccessTokenCommand } from './oauth.commands';
import { AccessTokenResponse, AuthorizationServerMetadata, OpenIdConfiguration, RevocationRequest, RevocationResponse, TokenRequest } from './oauth.dto';
import { isPublicConsole, TokenEndpoint } from './token-endpoint';
import { rethrowFastPathFailure } from '../http/fast-path';

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
    private readonly people: PeopleTokenEndpoint,
    private readonly endpoint: TokenEndpoint,
    @Inject(KEYHOLD_CONFIG) private readonly config: KeyholdConfig,
  ) {}

  /** Answered by TokenFastPath for well-formed client_credentials requests; every other form and every failure comes here. */
  @Post('oauth/token')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiOkResponse({ type: AccessTokenResponse })
  async token(@Req() request: FastifyRequest, @Body() body: TokenRequest, @CurrentRequestContext() context: RequestContext) {
    rethrowFastPathFailure(request);
    return this.endpoint.token(request, body, context);
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
    const token = this.oauth.revocable(body.token, new Date().toISOString());
    if (token && token.clientId === client.clientId && token.tenantId === client.tenantId) {
      await this.commands.execute(new RevokeAccessTokenCommand({ token, context: { ...context, actorId: client.clientId } }));
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
}
