import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { CredentialSettings, secretFieldsSet } from '@keyhold/domain';
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
  UpdateConnectionDto,
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
    void reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
    const { connection, secrets, accessedAt } = await this.commands.execute(new AccessConnectionCommand(principal, params.id, body.domain, context));
    return {
      connectionId: connection.connectionId,
      service: connection.service,
      domain: body.domain,
      credential: { ...connection.credential, ...secrets },
      headers: headersFor(connection, secrets),
      accessedAt,
    };
  }
}
