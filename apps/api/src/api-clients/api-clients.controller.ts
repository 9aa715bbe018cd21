import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Put, Query, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { ApiClientFlows, ApiClientState, clientSecretStatusAt } from '@keyhold/domain';
import { KEYHOLD_CONFIG, KeyholdConfig } from '@keyhold/platform';
import {
  ACCESS_TOKENS,
  AccessTokenView,
  API_CLIENTS,
  ApiClientView,
  CLIENT_SECRETS,
  ClientSecretView,
  READ_MODEL_STORE,
  ReadModelStore,
  TENANT_SETTINGS,
  TenantSettingsView,
} from '@keyhold/read-models';
import { CurrentPrincipal, RequirePermissions } from '../http/auth';
import { pageOf, PageQuery } from '../http/pagination';
import { Problem } from '../http/problem';
import { CurrentRequestContext, RequestContext } from '../http/request-context';
import { Principal } from '../verification/principal';
import { UsageRecorder } from '../verification/usage-recorder';
import { AccessTokenList } from '../service-accounts/service-accounts.dto';
import { AddClientSecretCommand, ApiClientChange, ChangeApiClientCommand, CreateApiClientCommand } from './api-clients.commands';
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

/** Six months, as the product this comes from; never beyond the maximum (the tenant's, within the service-wide one). */
const DEFAULT_SECRET_LIFETIME_DAYS = 180;
/** Secrets of one client listed at most; a client holds at most 5 live ones. */
const SECRETS_LISTED = 200;

const now = () => new Date().toISOString();

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
 * that flow is on, and never with more than the admin who set them holds.
 */
@ApiTags('API clients')
@ApiBearerAuth()
@Controller('v1/api-clients')
export class ApiClientsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly usage: UsageRecorder,
    @Inject(READ_MODEL_STORE) private readonly readModels: ReadModelStore,
    @Inject(KEYHOLD_CONFIG) private readonly config: KeyholdConfig,
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
    const lifetimeDays = await this.secretLifetime(principal.tenantId, body.secretLifetimeDays, 'secretLifetimeDays');
    const created = await this.commands.execute(new CreateApiClientCommand(principal.tenantId, body.name, lifetimeDays, context));
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
  @ApiOkResponse({ type: ApiClientResponse })
  @RequirePermissions('clients:read')
  async get(@CurrentPrincipal() principal: Principal, @Param() params: ApiClientParams) {
    return toResponse(await this.view(principal, params.id));
  }

  @Patch(':id')
  @ApiOkResponse({ type: ApiClientResponse })
  @RequirePermissions('clients:write')
  rename(@CurrentPrincipal() principal: Principal, @CurrentRequestContext() context: RequestContext, @Param() params: ApiClientParams, @Body() body: RenameApiClientDto) {
    return this.change(params.id, { type: 'RenameApiClient', tenantId: principal.tenantId, name: body.name, now: now() }, context);
  }

  /** Every secret and access token of the client stops working at once. */
  @Delete(':id')
  @HttpCode(204)
  @RequirePermissions('clients:write')
  async delete(@CurrentPrincipal() principal: Principal, @CurrentRequestContext() context: RequestContext, @Param() params: ApiClientParams) {
    await this.commands.execute(new ChangeApiClientCommand(params.id, { type: 'DeleteApiClient', tenantId: principal.tenantId, now: now() }, context));
  }

  /** A new secret beside the others (at most 5 live), shown this once. */
  @Post(':id/secrets')
  @RequirePermissions('clients:write')
  @ApiCreatedResponse({ type: AddedClientSecretResponse })
  async addSecret(
    @CurrentPrincipal() principal: Principal,
    @CurrentRequestContext() context: RequestContext,
    @Param() params: ApiClientParams,
    @Body() body: AddClientSecretDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AddedClientSecretResponse> {
    const lifetimeDays = await this.secretLifetime(principal.tenantId, body.lifetimeDays, 'lifetimeDays');
    const added = await this.commands.execute(new AddClientSecretCommand(principal.tenantId, params.id, lifetimeDays, context));
    void reply.status(201).header('Cache-Control', 'no-store');
    return { secretId: added.secretId, clientSecret: added.clientSecret, expiresAt: added.expiresAt };
  }

  /** Active and expired secrets (removed ones are gone): hints and dates, never a secret. */
  @Get(':id/secrets')
  @RequirePermissions('clients:read')
  @ApiOkResponse({ type: ClientSecretsResponse })
  async secrets(@CurrentPrincipal() principal: Principal, @Param() params: ApiClientParams): Promise<ClientSecretsResponse> {
    const client = await this.view(principal, params.id);
    const collection = this.readModels.collection<ClientSecretView>(CLIENT_SECRETS);
    const pages = await Promise.all(
      (['active', 'expired'] as const).map((status) =>
        collection.list({ where: { clientId: client.id, status }, orderBy: 'createdAt', direction: 'desc', limit: SECRETS_LISTED }),
      ),
    );
    const secrets = pages.flatMap((page) => page.items).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
    const lastUsed = await this.usage.lastUsedAt(secrets.map((secret) => secret.id));
    const at = now();
    return {
      items: secrets.map((secret) => ({
        id: secret.id,
        hint: secret.hint,
        createdAt: secret.createdAt,
        expiresAt: secret.expiresAt,
        status: clientSecretStatusAt(secret, at),
        lastUsedAt: lastUsed.get(secret.id) ?? null,
      })),
    };
  }

  @Delete(':id/secrets/:secretId')
  @HttpCode(204)
  @RequirePermissions('clients:write')
  async removeSecret(@CurrentPrincipal() principal: Principal, @CurrentRequestContext() context: RequestContext, @Param() params: ClientSecretParams) {
    await this.commands.execute(
      new ChangeApiClientCommand(params.id, { type: 'RemoveClientSecret', tenantId: principal.tenantId, secretId: params.secretId, now: now() }, context),
    );
  }

  /** Adding a URI already registered changes nothing. */
  @Post(':id/redirect-uris')
  @ApiOkResponse({ type: ApiClientResponse })
  @HttpCode(200)
  @RequirePermissions('clients:write')
  addRedirectUri(@CurrentPrincipal() principal: Principal, @CurrentRequestContext() context: RequestContext, @Param() params: ApiClientParams, @Body() body: RedirectUriDto) {
    return this.change(params.id, { type: 'AddRedirectUri', tenantId: principal.tenantId, uri: body.uri, now: now() }, context);
  }

  /** `?uri=` URL-encoded, matched exactly; removing one not registered changes nothing. */
  @Delete(':id/redirect-uris')
  @ApiOkResponse({ type: ApiClientResponse })
  @RequirePermissions('clients:write')
  removeRedirectUri(@CurrentPrincipal() principal: Principal, @CurrentRequestContext() context: RequestContext, @Param() params: ApiClientParams, @Query() query: RedirectUriQuery) {
    return this.change(params.id, { type: 'RemoveRedirectUri', tenantId: principal.tenantId, uri: query.uri, now: now() }, context);
  }

  /** Replaces the flow settings, every one given; a flow turned off is refused at the token endpoint from then on. */
  @Put(':id/flows')
  @ApiOkResponse({ type: ApiClientResponse })
  @RequirePermissions('clients:write')
  flows(@CurrentPrincipal() principal: Principal, @CurrentRequestContext() context: RequestContext, @Param() params: ApiClientParams, @Body() body: FlowsDto) {
    return this.changeFlows(principal, context, params.id, body);
  }

  /**
   * Changes only the flow settings given (a JSON merge of these flat fields); the others stay as
   * they are. The authority rule sees the merged flows, so turning client_credentials on with the
   * roles the client already has needs those roles' permissions too.
   */
  @Patch(':id/flows')
  @ApiOkResponse({ type: ApiClientResponse })
  @RequirePermissions('clients:write')
  patchFlows(@CurrentPrincipal() principal: Principal, @CurrentRequestContext() context: RequestContext, @Param() params: ApiClientParams, @Body() body: PatchFlowsDto) {
    return this.changeFlows(principal, context, params.id, body);
  }

  private changeFlows(principal: Principal, context: RequestContext, clientId: string, body: PatchFlowsDto) {
    const { requirePkce, refreshTokens, password, clientCredentials, clientCredentialsRoles } = body;
    const flows: Partial<ApiClientFlows> = { requirePkce, refreshTokens, password, clientCredentials, clientCredentialsRoles };
    return this.change(clientId, { type: 'ChangeApiClientFlows', tenantId: principal.tenantId, flows, now: now() }, context);
  }

  /** The access tokens of this client that would authenticate right now. */
  @Get(':id/tokens')
  @ApiOkResponse({ type: AccessTokenList })
  @RequirePermissions('clients:read')
  async tokens(@CurrentPrincipal() principal: Principal, @Param() params: ApiClientParams) {
    const client = await this.view(principal, params.id);
    const page = await this.readModels.collection<AccessTokenView>(ACCESS_TOKENS).list({
      where: { clientId: client.id, status: 'active' },
      orderBy: 'issuedAt',
      direction: 'desc',
      limit: 200,
    });
    const at = now();
    return {
      items: page.items.filter((token) => token.expiresAt > at).map(({ id, scope, issuedAt, expiresAt }) => ({ id, scope: scope.join(' '), issuedAt, expiresAt })),
    };
  }

  private async change(clientId: string, change: ApiClientChange, context: RequestContext) {
    return fromState(await this.commands.execute(new ChangeApiClientCommand(clientId, change, context)));
  }

  /**
   * Default six months; at most CLIENT_SECRET_MAX_DAYS (service-wide), lowered by the tenant's own
   * maximum when it set one (PATCH /v1/settings {clientSecretMaxLifetimeDays}).
   */
  private async secretLifetime(tenantId: string, requested: number | undefined, field: string): Promise<number> {
    const serviceMax = this.config.CLIENT_SECRET_MAX_DAYS;
    const tenantMax = (await this.readModels.collection<TenantSettingsView>(TENANT_SETTINGS).get(tenantId))?.clientSecretMaxLifetimeDays ?? null;
    const max = tenantMax === null ? serviceMax : Math.min(tenantMax, serviceMax);
    if (requested === undefined) return Math.min(DEFAULT_SECRET_LIFETIME_DAYS, max);
    if (requested > max) {
      const which = max === tenantMax ? "the tenant's maximum" : 'the service-wide maximum';
      const message = `${field} must be at most ${max} days (${which})`;
      throw new Problem('validation-error', message, { errors: [{ field, messages: [message] }] });
    }
    return requested;
  }

  private async view(principal: Principal, clientId: string): Promise<ApiClientView> {
    const client = await this.readModels.collection<ApiClientView>(API_CLIENTS).get(clientId);
    if (!client || client.tenantId !== principal.tenantId || client.status !== 'active') {
      throw new Problem('not-found', 'API client not found.');
    }
    return client;
  }
}
