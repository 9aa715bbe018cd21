import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { KEYHOLD_CONFIG, KeyholdConfig } from '@keyhold/platform';
import { Problem } from '../http/problem';
import { ConnectionAccessTokens } from './connection-access-tokens';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { AccessPurpose, CredentialSettings, secretFieldsSet } from '@keyhold/domain';
import { CurrentPrincipal, RequirePermissions } from '../http/auth';
import { PageQuery } from '../http/pagination';
import { CurrentRequestContext, RequestContext } from '../http/request-context';
import { Principal } from '../verification/principal';
import {
  AccessConnectionDto,
  ConnectionParams,
  AccessedConnectionResponse,
  ConnectionPage,
  ConnectionResponse,
  CreateConnectionDto,
  CredentialDto,
  OAuthClientPage,
  OAuthClientResponse,
  OAuthClientsQuery,
  RevealedConnectionResponse,
  UpdateConnectionDto,
  UpdateOAuthClientDto,
} from './connection.dto';
import { PlainSecrets, secretsIn } from './connection-secrets';
import { AccessConnectionCommand, ActiveConnection, CreateConnectionCommand, DeleteConnectionCommand, UpdateConnectionCommand } from './connections.commands';
import { ConnectionsQuery, secretsSetFor } from './connections.query';

const settingsOf = (credential: CredentialDto): CredentialSettings => {
  switch (credential.type) {
    case 'api_key':
      return { type: 'api_key', headerName: credential.headerName };
    case 'basic_auth':
      return { type: 'basic_auth' };
    case 'bearer_token':
      return { type: 'bearer_token' };
    case 'oauth2':
      return { type: 'oauth2', clientId: credential.clientId, tokenUrl: credential.tokenUrl, scopes: [...new Set(credential.scopes)] };
  }
};

/** The connection as this command left it: settings and which secrets are set, never a secret. */
const toResponse = (connection: ActiveConnection, lastAccessedAt: string | null = null): ConnectionResponse => {
  const { type, ...settings } = connection.credential;
  return {
    id: connection.connectionId,
    name: connection.name,
    service: connection.service,
    allowedDomains: [...connection.allowedDomains],
    credential: { type, ...settings, secretsSet: secretsSetFor(type, secretFieldsSet(connection.secrets)) },
    status: 'active',
    createdAt: connection.createdAt,
    updatedAt: connection.updatedAt,
    lastAccessedAt,
  };
};

/** Ready-to-send headers for the credential types that are sent as headers. */
const headersFor = (connection: ActiveConnection, secrets: PlainSecrets): Record<string, string> => {
  switch (connection.credential.type) {
    case 'api_key':
      return { [connection.credential.headerName]: secrets.apiKey! };
    case 'basic_auth':
      return { Authorization: `Basic ${Buffer.from(`${secrets.username}:${secrets.password}`, 'utf8').toString('base64')}` };
    case 'bearer_token':
      return { Authorization: `Bearer ${secrets.token}` };
    case 'oauth2':
      return {};
  }
};

/** What a caller is handed for one domain: the credential (its secrets, or for /access of oauth2 its settings only) and headers. */
const handedOut = (connection: ActiveConnection, domain: string, accessedAt: string, credential: Record<string, unknown>, headers: Record<string, string>) => ({
  connectionId: connection.connectionId,
  service: connection.service,
  domain,
  credential,
  headers,
  accessedAt,
});

const rawCredential = (connection: ActiveConnection, secrets: PlainSecrets, domain: string, accessedAt: string) =>
  handedOut(connection, domain, accessedAt, { ...connection.credential, ...secrets }, headersFor(connection, secrets));

/**
 * Connections: third-party credentials kept encrypted, for internal services to use. Managing
 * them is for admins (connections:read, connections:write); obtaining a decrypted credential
 * needs connections:use, names the domain it will be sent to, and is recorded.
 */
@ApiTags('connections')
@ApiBearerAuth()
@Controller('v1/connections')
export class ConnectionsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly connections: ConnectionsQuery,
    private readonly accessTokens: ConnectionAccessTokens,
    @Inject(KEYHOLD_CONFIG) private readonly config: KeyholdConfig,
  ) {}

  @Post()
  @RequirePermissions('connections:write')
  @ApiCreatedResponse({ type: ConnectionResponse })
  async create(
    @CurrentPrincipal() principal: Principal,
    @CurrentRequestContext() context: RequestContext,
    @Body() body: CreateConnectionDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ConnectionResponse> {
    if (body.credential.type === 'oauth2') this.requireHttpsTokenUrl(body.credential.tokenUrl);
    const created = await this.commands.execute(
      new CreateConnectionCommand(principal.tenantId, body.name, body.service, body.allowedDomains, settingsOf(body.credential), secretsIn(body.credential), context),
    );
    void reply.status(201).header('Location', `/v1/connections/${created.connectionId}`);
    return toResponse(created);
  }

  @Get()
  @RequirePermissions('connections:read')
  @ApiOkResponse({ type: ConnectionPage })
  list(@CurrentPrincipal() principal: Principal, @Query() query: PageQuery) {
    return this.connections.list(principal, query.limit ?? 50, query.cursor ?? null);
  }

  /** The OAuth clients of OAuth 2.0 connections, as their own list (seed 000), filtered by service and client ID. */
  @Get('oauth-clients')
  @RequirePermissions('connections:read')
  @ApiOkResponse({ type: OAuthClientPage })
  oauthClients(@CurrentPrincipal() principal: Principal, @Query() query: OAuthClientsQuery) {
    return this.connections.oauthClients(principal, { service: query.service, clientId: query.clientId }, query.limit ?? 50, query.cursor ?? null);
  }

  @Get('oauth-clients/:id')
  @RequirePermissions('connections:read')
  @ApiOkResponse({ type: OAuthClientResponse })
  oauthClient(@CurrentPrincipal() principal: Principal, @Param() params: ConnectionParams) {
    return this.connections.oauthClient(principal, params.id);
  }

  /** As the seed says: after creation, only an OAuth client's client ID and client secret change. */
  @Patch('oauth-clients/:id')
  @RequirePermissions('connections:write')
  @ApiOkResponse({ type: OAuthClientResponse })
  async updateOAuthClient(
    @CurrentPrincipal() principal: Principal,
    @CurrentRequestContext() context: RequestContext,
    @Param() params: ConnectionParams,
    @Body() body: UpdateOAuthClientDto,
  ) {
    if (body.clientId === undefined && body.clientSecret === undefined) {
      const message = 'Send clientId, clientSecret or both: nothing else of an OAuth client changes after creation.';
      throw new Problem('validation-error', message, { errors: [{ field: 'clientId', messages: [message] }] });
    }
    await this.connections.oauthClient(principal, params.id);
    const credential = body.clientId !== undefined ? { clientId: body.clientId } : undefined;
    const secrets = body.clientSecret !== undefined ? { clientSecret: body.clientSecret } : {};
    await this.commands.execute(new UpdateConnectionCommand(principal.tenantId, params.id, { credential }, secrets, context));
    return this.connections.oauthClient(principal, params.id);
  }

  @Get(':id')
  @RequirePermissions('connections:read')
  @ApiOkResponse({ type: ConnectionResponse })
  get(@CurrentPrincipal() principal: Principal, @Param() params: ConnectionParams): Promise<ConnectionResponse> {
    return this.connections.get(principal, params.id);
  }

  /** Sent fields change; secrets sent replace theirs, secrets not sent stay as they are. */
  @Patch(':id')
  @RequirePermissions('connections:write')
  @ApiOkResponse({ type: ConnectionResponse })
  async update(
    @CurrentPrincipal() principal: Principal,
    @CurrentRequestContext() context: RequestContext,
    @Param() params: ConnectionParams,
    @Body() body: UpdateConnectionDto,
  ): Promise<ConnectionResponse> {
    const { type, headerName, clientId, tokenUrl, scopes } = body.credential ?? {};
    const credential = body.credential ? { type, headerName, clientId, tokenUrl, scopes } : undefined;
    const updated = await this.commands.execute(
      new UpdateConnectionCommand(
        principal.tenantId,
        params.id,
        { name: body.name, service: body.service, allowedDomains: body.allowedDomains, credential },
        body.credential ? secretsIn(body.credential) : {},
        context,
      ),
    );
    return toResponse(updated);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermissions('connections:write')
  async delete(@CurrentPrincipal() principal: Principal, @CurrentRequestContext() context: RequestContext, @Param() params: ConnectionParams) {
    await this.commands.execute(new DeleteConnectionCommand(principal.tenantId, params.id, context));
  }

  /**
   * The decrypted credential, for a caller about to send it to `domain`: refused unless the
   * domain is allowed, and recorded (who, when, which connection, which domain) before it is
   * decrypted. Never cached.
   */
  @Post(':id/access')
  @HttpCode(200)
  @RequirePermissions('connections:use')
  @ApiOkResponse({ type: AccessedConnectionResponse })
  async access(
    @CurrentPrincipal() principal: Principal,
    @CurrentRequestContext() context: RequestContext,
    @Param() params: ConnectionParams,
    @Body() body: AccessConnectionDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { connection, secrets, accessedAt } = await this.handOut(principal, params.id, body.domain, context, 'use', reply);
    if (connection.credential.type !== 'oauth2') return rawCredential(connection, secrets, body.domain, accessedAt);
    // An OAuth 2.0 connection hands out a short-lived access token, never its client secret.
    const token = await this.accessTokens.obtain(connection, secrets.clientSecret!, context);
    const tokenType = token.tokenType.toLowerCase() === 'bearer' ? 'Bearer' : token.tokenType;
    const authorization = { Authorization: `${tokenType} ${token.accessToken}` };
    return { ...handedOut(connection, body.domain, accessedAt, { ...connection.credential }, authorization), accessToken: token.accessToken, tokenType, expiresAt: token.expiresAt };
  }

  /**
   * The raw secrets (an OAuth 2.0 connection's client secret and refresh token included): a
   * permission of its own (connections:reveal, admins), recorded as a reveal. For the rare
   * caller that must run the exchange itself; everyone else uses /access.
   */
  @Post(':id/reveal')
  @HttpCode(200)
  @RequirePermissions('connections:use', 'connections:reveal')
  @ApiOkResponse({ type: RevealedConnectionResponse })
  async reveal(
    @CurrentPrincipal() principal: Principal,
    @CurrentRequestContext() context: RequestContext,
    @Param() params: ConnectionParams,
    @Body() body: AccessConnectionDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { connection, secrets, accessedAt } = await this.handOut(principal, params.id, body.domain, context, 'reveal', reply);
    return rawCredential(connection, secrets, body.domain, accessedAt);
  }

  /** Decrypts a connection's credential for `domain`, recorded first by the command; the answer is never cached. */
  private handOut(principal: Principal, connectionId: string, domain: string, context: RequestContext, purpose: AccessPurpose, reply: FastifyReply) {
    void reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
    return this.commands.execute(new AccessConnectionCommand(principal, connectionId, domain, context, purpose));
  }

  /** http token URLs only to loopback, and only where the operator allows it (tests, walkthroughs). */
  private requireHttpsTokenUrl(tokenUrl: string): void {
    const url = new URL(tokenUrl);
    const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
    if (url.protocol === 'https:' || (this.config.OUTBOUND_ALLOW_LOOPBACK && loopback)) return;
    throw new Problem('validation-error', 'tokenUrl must be an https URL', { errors: [{ field: 'credential.tokenUrl', messages: ['tokenUrl must be an https URL'] }] });
  }
}
