import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { AccessPurpose, CredentialSettings } from '@keyhold/domain';
import { detailsOfConnection, GetConnection, GetOAuthClient, ListConnections, ListOAuthClients, secretsIn } from '@keyhold/application';
import { CurrentPrincipal, RequirePermissions } from '../http/auth';
import { ApiIfMatch, ETAG_HEADER, IfMatch, setETag } from '../http/etag';
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
import { AccessConnectionCommand, CreateConnectionCommand, DeleteConnectionCommand, UpdateConnectionCommand, UpdateOAuthClientCommand } from './connections.commands';

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
    private readonly getConnection: GetConnection,
    private readonly getOAuthClient: GetOAuthClient,
    private readonly listConnections: ListConnections,
    private readonly listOAuthClients: ListOAuthClients,
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
    const { name, service, allowedDomains } = body;
    const created = await this.commands.execute(
      new CreateConnectionCommand({ tenantId: principal.tenantId, name, service, allowedDomains, credential: settingsOf(body.credential), secrets: secretsIn(body.credential), context }),
    );
    void reply.status(201).header('Location', `/v1/connections/${created.connectionId}`);
    return detailsOfConnection(created);
  }

  @Get()
  @RequirePermissions('connections:read')
  @ApiOkResponse({ type: ConnectionPage })
  list(@CurrentPrincipal() principal: Principal, @Query() query: PageQuery) {
    return this.listConnections.execute({ tenantId: principal.tenantId, limit: query.limit ?? 50, cursor: query.cursor ?? null });
  }

  /** The OAuth clients of OAuth 2.0 connections, as their own list (seed 000), filtered by service and client ID. */
  @Get('oauth-clients')
  @RequirePermissions('connections:read')
  @ApiOkResponse({ type: OAuthClientPage })
  oauthClients(@CurrentPrincipal() principal: Principal, @Query() query: OAuthClientsQuery) {
    const { service, clientId } = query;
    return this.listOAuthClients.execute({ tenantId: principal.tenantId, service, clientId, limit: query.limit ?? 50, cursor: query.cursor ?? null });
  }

  @Get('oauth-clients/:id')
  @RequirePermissions('connections:read')
  @ApiOkResponse({ type: OAuthClientResponse, headers: ETAG_HEADER })
  async oauthClient(@CurrentPrincipal() principal: Principal, @Param() params: ConnectionParams, @Res({ passthrough: true }) reply: FastifyReply) {
    const { client, revision } = await this.getOAuthClient.execute({ tenantId: principal.tenantId, connectionId: params.id });
    setETag(reply, revision);
    return client;
  }

  /** As the seed says: after creation, only an OAuth client's client ID and client secret change. */
  @Patch('oauth-clients/:id')
  @RequirePermissions('connections:write')
  @ApiIfMatch()
  @ApiOkResponse({ type: OAuthClientResponse })
  updateOAuthClient(
    @CurrentPrincipal() principal: Principal,
    @CurrentRequestContext() context: RequestContext,
    @Param() params: ConnectionParams,
    @Body() body: UpdateOAuthClientDto,
    @IfMatch() expectedRevision: number | undefined,
  ) {
    const { clientId, clientSecret } = body;
    return this.commands.execute(new UpdateOAuthClientCommand({ tenantId: principal.tenantId, connectionId: params.id, clientId, clientSecret, context, expectedRevision }));
  }

  @Get(':id')
  @RequirePermissions('connections:read')
  @ApiOkResponse({ type: ConnectionResponse, headers: ETAG_HEADER })
  async get(@CurrentPrincipal() principal: Principal, @Param() params: ConnectionParams, @Res({ passthrough: true }) reply: FastifyReply): Promise<ConnectionResponse> {
    const { connection, revision } = await this.getConnection.execute({ tenantId: principal.tenantId, connectionId: params.id });
    setETag(reply, revision);
    return connection;
  }

  /** Sent fields change; secrets sent replace theirs, secrets not sent stay as they are. */
  @Patch(':id')
  @RequirePermissions('connections:write')
  @ApiIfMatch()
  @ApiOkResponse({ type: ConnectionResponse })
  async update(
    @CurrentPrincipal() principal: Principal,
    @CurrentRequestContext() context: RequestContext,
    @Param() params: ConnectionParams,
    @Body() body: UpdateConnectionDto,
    @IfMatch() expectedRevision: number | undefined,
  ): Promise<ConnectionResponse> {
    const { type, headerName, clientId, tokenUrl, scopes } = body.credential ?? {};
    const credential = body.credential ? { type, headerName, clientId, tokenUrl, scopes } : undefined;
    const updated = await this.commands.execute(
      new UpdateConnectionCommand({
        tenantId: principal.tenantId,
        connectionId: params.id,
        changes: { name: body.name, service: body.service, allowedDomains: body.allowedDomains, credential },
        secrets: body.credential ? secretsIn(body.credential) : {},
        context,
        expectedRevision,
      }),
    );
    return detailsOfConnection(updated);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermissions('connections:write')
  @ApiIfMatch()
  async delete(
    @CurrentPrincipal() principal: Principal,
    @CurrentRequestContext() context: RequestContext,
    @Param() params: ConnectionParams,
    @IfMatch() expectedRevision: number | undefined,
  ) {
    await this.commands.execute(new DeleteConnectionCommand({ tenantId: principal.tenantId, connectionId: params.id, context, expectedRevision }));
  }

  /**
   * The decrypted credential, for a caller about to send it to `domain`: refused unless the
   * domain is allowed, and recorded (who, when, which connection, which domain) before it is
   * decrypted. Never cached. An OAuth 2.0 connection hands out a short-lived access token, never
   * its client secret.
   */
  @Post(':id/access')
  @HttpCode(200)
  @RequirePermissions('connections:use')
  @ApiOkResponse({ type: AccessedConnectionResponse })
  access(
    @CurrentPrincipal() principal: Principal,
    @CurrentRequestContext() context: RequestContext,
    @Param() params: ConnectionParams,
    @Body() body: AccessConnectionDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return this.handOut(principal, params.id, body.domain, context, 'use', reply);
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
  reveal(
    @CurrentPrincipal() principal: Principal,
    @CurrentRequestContext() context: RequestContext,
    @Param() params: ConnectionParams,
    @Body() body: AccessConnectionDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return this.handOut(principal, params.id, body.domain, context, 'reveal', reply);
  }

  /** The answer carries a credential: never cached. */
  private handOut(principal: Principal, connectionId: string, targetDomain: string, context: RequestContext, purpose: AccessPurpose, reply: FastifyReply) {
    void reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
    return this.commands.execute(new AccessConnectionCommand({ tenantId: principal.tenantId, connectionId, targetDomain, credentialId: principal.credential.id, purpose, context }));
  }
}
