import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Put, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { CommandBus } from '@nestjs/cqrs';
import { ApiClientChange, ChangeApiClientInput, GetApiClient, ListApiClientTokens, ListClientSecrets } from '@keyhold/application';
import { ApiClientFlows, ApiClientState } from '@keyhold/domain';
import { API_CLIENTS, ApiClientView, READ_MODEL_STORE, ReadModelStore } from '@keyhold/read-models';
import { CurrentPrincipal, RequirePermissions } from '../http/auth';
import { ApiIfMatch, ETAG_HEADER, IfMatch, setETag } from '../http/etag';
import { pageOf, PageQuery } from '../http/pagination';
import { Problem } from '../http/problem';
import { CurrentRequestContext, RequestContext } from '../http/request-context';
import { Principal } from '../verification/principal';
import { ACCESS_TOKEN_HOURS_OPERATION, AccessTokenList } from '../service-accounts/service-accounts.dto';
import { AddClientSecretCommand, ChangeApiClientCommand, CreateApiClientCommand } from './api-clients.commands';
import {
  AddClientSecretDto,
  AddedClientSecretResponse,
  ApiClientPage,
  ApiClientResponse,
  ClientSecretsResponse,
  CreatedApiClientResponse,
  ApiClientParams,
  ClientSecretParams,
  CreateApiClientDto,
  FlowsResponse,
  FlowsDto,
  PatchFlowsDto,
  RedirectUriDto,
  RedirectUriQuery,
  RenameApiClientDto,
} from './api-clients.dto';

/** Authorization code is always on: shown, so that a client reads the whole picture. */
const flowsResponse = (flows: ApiClientFlows): FlowsResponse => ({ authorizationCode: true, ...flows, clientCredentialsRoles: [...flows.clientCredentialsRoles] });

const toResponse = (client: ApiClientView): ApiClientResponse => ({
  id: client.id,
  clientId: client.id,
  name: client.name,
  flows: flowsResponse(client.flows),
  redirectUris: client.redirectUris,
  createdAt: client.createdAt,
  updatedAt: client.updatedAt,
});

/** A change answers with the client as the command left it, whether or not the read models caught up. */
const fromState = (state: ApiClientState): ApiClientResponse => {
  if (state.status !== 'active') throw new Problem('not-found', 'API client not found.');
  return {
    id: state.clientId,
    clientId: state.clientId,
    name: state.name,
    flows: flowsResponse(state.flows),
    redirectUris: [...state.redirectUris],
    createdAt: state.createdAt,
  };
};

/**
 * OAuth API clients: a client id with several expiring secrets, exact redirect URIs and flow
 * settings. The client acts with the permissions of its client-credentials roles, only while
 * that flow is on, and never with more than the admin who set them holds. Each route validates,
 * runs a use case, and shapes the answer; a change given If-Match runs only on that revision.
 */
@ApiTags('API clients')
@ApiBearerAuth()
@Controller('v1/api-clients')
export class ApiClientsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly getClient: GetApiClient,
    private readonly listSecrets: ListClientSecrets,
    private readonly listTokens: ListApiClientTokens,
    @Inject(READ_MODEL_STORE) private readonly readModels: ReadModelStore,
  ) {}

  /** The client id and its first secret, shown this once: the response is all a client needs to save. */
  @Post()
  @RequirePermissions('clients:write')
  @ApiCreatedResponse({ type: CreatedApiClientResponse })
  async create(
    @CurrentPrincipal() principal: Principal,
    @CurrentRequestContext() context: RequestContext,
    @Body() body: CreateApiClientDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<CreatedApiClientResponse> {
    const created = await this.commands.execute(new CreateApiClientCommand({ tenantId: principal.tenantId, name: body.name, secretLifetimeDays: body.secretLifetimeDays, context }));
    void reply.status(201).header('Cache-Control', 'no-store').header('Location', `/v1/api-clients/${created.clientId}`);
    return {
      id: created.clientId,
      clientId: created.clientId,
      name: body.name,
      clientSecret: created.clientSecret,
      secretId: created.secretId,
      secretExpiresAt: created.secretExpiresAt,
    };
  }

  @Get()
  @ApiOkResponse({ type: ApiClientPage })
  @RequirePermissions('clients:read')
  async list(@CurrentPrincipal() principal: Principal, @Query() query: PageQuery) {
    return pageOf(this.readModels.collection<ApiClientView>(API_CLIENTS), { tenantId: principal.tenantId, status: 'active' }, query, toResponse);
  }

  @Get(':id')
  @ApiOkResponse({ type: ApiClientResponse, headers: ETAG_HEADER })
  @RequirePermissions('clients:read')
  async get(@CurrentPrincipal() principal: Principal, @Param() params: ApiClientParams, @Res({ passthrough: true }) reply: FastifyReply) {
    const { client, revision } = await this.getClient.execute({ tenantId: principal.tenantId, clientId: params.id });
    setETag(reply, revision);
    return toResponse(client);
  }

  @Patch(':id')
  @ApiIfMatch()
  @ApiOkResponse({ type: ApiClientResponse })
  @RequirePermissions('clients:write')
  rename(
    @CurrentPrincipal() principal: Principal,
    @CurrentRequestContext() context: RequestContext,
    @Param() params: ApiClientParams,
    @Body() body: RenameApiClientDto,
    @IfMatch() expectedRevision: number | undefined,
  ) {
    return this.change(principal, context, params.id, { type: 'RenameApiClient', name: body.name }, expectedRevision);
  }

  /** Every secret and access token of the client stops working at once. */
  @Delete(':id')
  @HttpCode(204)
  @ApiIfMatch()
  @RequirePermissions('clients:write')
  async delete(@CurrentPrincipal() principal: Principal, @CurrentRequestContext() context: RequestContext, @Param() params: ApiClientParams, @IfMatch() expectedRevision: number | undefined) {
    await this.commands.execute(new ChangeApiClientCommand({ tenantId: principal.tenantId, clientId: params.id, change: { type: 'DeleteApiClient' }, context, expectedRevision }));
  }

  /** A new secret beside the others (at most 5 live), shown this once. */
  @Post(':id/secrets')
  @RequirePermissions('clients:write')
  @ApiIfMatch()
  @ApiCreatedResponse({ type: AddedClientSecretResponse })
  async addSecret(
    @CurrentPrincipal() principal: Principal,
    @CurrentRequestContext() context: RequestContext,
    @Param() params: ApiClientParams,
    @Body() body: AddClientSecretDto,
    @IfMatch() expectedRevision: number | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AddedClientSecretResponse> {
    const input = { tenantId: principal.tenantId, clientId: params.id, lifetimeDays: body.lifetimeDays, context, expectedRevision };
    const added = await this.commands.execute(new AddClientSecretCommand(input));
    void reply.status(201).header('Cache-Control', 'no-store');
    return { secretId: added.secretId, clientSecret: added.clientSecret, expiresAt: added.expiresAt };
  }

  /** Active and expired secrets (removed ones are gone): hints and dates, never a secret. */
  @Get(':id/secrets')
  @RequirePermissions('clients:read')
  @ApiOkResponse({ type: ClientSecretsResponse })
  async secrets(@CurrentPrincipal() principal: Principal, @Param() params: ApiClientParams): Promise<ClientSecretsResponse> {
    return { items: await this.listSecrets.execute({ tenantId: principal.tenantId, clientId: params.id }) };
  }

  @Delete(':id/secrets/:secretId')
  @HttpCode(204)
  @ApiIfMatch()
  @RequirePermissions('clients:write')
  async removeSecret(
    @CurrentPrincipal() principal: Principal,
    @CurrentRequestContext() context: RequestContext,
    @Param() params: ClientSecretParams,
    @IfMatch() expectedRevision: number | undefined,
  ) {
    const input: ChangeApiClientInput = { tenantId: principal.tenantId, clientId: params.id, change: { type: 'RemoveClientSecret', secretId: params.secretId }, context, expectedRevision };
    await this.commands.execute(new ChangeApiClientCommand(input));
  }

  /** Adding a URI already registered changes nothing. */
  @Post(':id/redirect-uris')
  @ApiIfMatch()
  @ApiOkResponse({ type: ApiClientResponse })
  @HttpCode(200)
  @RequirePermissions('clients:write')
  addRedirectUri(
    @CurrentPrincipal() principal: Principal,
    @CurrentRequestContext() context: RequestContext,
    @Param() params: ApiClientParams,
    @Body() body: RedirectUriDto,
    @IfMatch() expectedRevision: number | undefined,
  ) {
    return this.change(principal, context, params.id, { type: 'AddRedirectUri', uri: body.uri }, expectedRevision);
  }

  /** `?uri=` URL-encoded, matched exactly; removing one not registered changes nothing. */
  @Delete(':id/redirect-uris')
  @ApiIfMatch()
  @ApiOkResponse({ type: ApiClientResponse })
  @RequirePermissions('clients:write')
  removeRedirectUri(
    @CurrentPrincipal() principal: Principal,
    @CurrentRequestContext() context: RequestContext,
    @Param() params: ApiClientParams,
    @Query() query: RedirectUriQuery,
    @IfMatch() expectedRevision: number | undefined,
  ) {
    return this.change(principal, context, params.id, { type: 'RemoveRedirectUri', uri: query.uri }, expectedRevision);
  }

  /** Replaces the flow settings, every one given; a flow turned off is refused at the token endpoint from then on. */
  @Put(':id/flows')
  @ApiIfMatch()
  @ApiOkResponse({ type: ApiClientResponse })
  @RequirePermissions('clients:write')
  flows(
    @CurrentPrincipal() principal: Principal,
    @CurrentRequestContext() context: RequestContext,
    @Param() params: ApiClientParams,
    @Body() body: FlowsDto,
    @IfMatch() expectedRevision: number | undefined,
  ) {
    return this.changeFlows(principal, context, params.id, body, expectedRevision);
  }

  /**
   * Changes only the flow settings given (a JSON merge of these flat fields); the others stay as
   * they are. The authority rule sees the merged flows, so turning client_credentials on with the
   * roles the client already has needs those roles' permissions too.
   */
  @Patch(':id/flows')
  @ApiIfMatch()
  @ApiOkResponse({ type: ApiClientResponse })
  @RequirePermissions('clients:write')
  patchFlows(
    @CurrentPrincipal() principal: Principal,
    @CurrentRequestContext() context: RequestContext,
    @Param() params: ApiClientParams,
    @Body() body: PatchFlowsDto,
    @IfMatch() expectedRevision: number | undefined,
  ) {
    return this.changeFlows(principal, context, params.id, body, expectedRevision);
  }

  /** The hours in which this client obtained access tokens that may still be live. */
  @Get(':id/tokens')
  @ApiOperation(ACCESS_TOKEN_HOURS_OPERATION)
  @ApiOkResponse({ type: AccessTokenList, description: 'The issuance hours, newest first.' })
  @RequirePermissions('clients:read')
  async tokens(@CurrentPrincipal() principal: Principal, @Param() params: ApiClientParams): Promise<AccessTokenList> {
    return { items: await this.listTokens.execute({ tenantId: principal.tenantId, clientId: params.id }) };
  }

  /** The DTO's flat fields, those given; `authorizationCode` is always on and not a setting. */
  private changeFlows(principal: Principal, context: RequestContext, clientId: string, body: PatchFlowsDto, expectedRevision: number | undefined) {
    const { requirePkce, refreshTokens, password, clientCredentials, clientCredentialsRoles } = body;
    const flows: Partial<ApiClientFlows> = { requirePkce, refreshTokens, password, clientCredentials, clientCredentialsRoles };
    return this.change(principal, context, clientId, { type: 'ChangeApiClientFlows', flows }, expectedRevision);
  }

  private async change(principal: Principal, context: RequestContext, clientId: string, change: ApiClientChange, expectedRevision: number | undefined) {
    return fromState(await this.commands.execute(new ChangeApiClientCommand({ tenantId: principal.tenantId, clientId, change, context, expectedRevision })));
  }
}
