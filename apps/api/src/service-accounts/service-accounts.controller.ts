import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Query, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { calculateJwkThumbprint } from 'jose';
import { ACCESS_TOKENS, AccessTokenView, READ_MODEL_STORE, ReadModelStore, SERVICE_ACCOUNTS, ServiceAccountView } from '@keyhold/read-models';
import { CurrentPrincipal, RequirePermissions } from '../http/auth';
import { Problem } from '../http/problem';
import { CurrentRequestContext, RequestContext } from '../http/request-context';
import { pageOf, PageQuery } from '../http/pagination';
import { OAuthIndex } from '../verification/oauth-index';
import { Principal } from '../verification/principal';
import { ChangeServiceAccountCommand, CreateServiceAccountCommand, ResetServiceAccountSecretCommand, ServiceAccountChange } from './service-accounts.commands';
import {
  AccessTokenList,
  CommandSigningKeyDto,
  CommandSigningKeyResponse,
  CreatedServiceAccountResponse,
  CreateServiceAccountDto,
  PermissionParams,
  ProjectParams,
  ServiceAccountPage,
  ServiceAccountParams,
  ServiceAccountResponse,
  ServiceAccountRightsResponse,
  ServiceAccountSecretResponse,
  SunsetDto,
} from './service-accounts.dto';

const toResponse = (account: ServiceAccountView) => ({
  id: account.id,
  clientId: account.id,
  name: account.name,
  permissions: account.permissionsResetPending ? [] : account.permissions,
  projects: account.permissionsResetPending ? [] : account.projects,
  permissionsResetPending: account.permissionsResetPending,
  secretHint: account.secretHint,
  sunsetAt: account.sunsetAt,
  createdAt: account.createdAt,
  secretResetAt: account.secretResetAt,
  commandSigningKeyThumbprint: account.commandSigningKeyThumbprint ?? null,
  updatedAt: account.updatedAt,
});

const now = () => new Date().toISOString();

/**
 * Service accounts for the client_credentials grant: created with no permissions, granted
 * them one by one, never beyond what the granting admin's own credential carries.
 */
@ApiTags('service accounts')
@ApiBearerAuth()
@Controller('v1/service-accounts')
export class ServiceAccountsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly oauth: OAuthIndex,
    @Inject(READ_MODEL_STORE) private readonly readModels: ReadModelStore,
  ) {}

  @Post()
  @RequirePermissions('clients:write')
  @ApiCreatedResponse({ type: CreatedServiceAccountResponse })
  async create(
    @CurrentPrincipal() principal: Principal,
    @CurrentRequestContext() context: RequestContext,
    @Body() body: CreateServiceAccountDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<CreatedServiceAccountResponse> {
    const sunsetAt = body.sunsetAt ? new Date(body.sunsetAt).toISOString() : null;
    const created = await this.commands.execute(new CreateServiceAccountCommand(principal.tenantId, body.name, sunsetAt, context));
    void reply.status(201).header('Cache-Control', 'no-store').header('Location', `/v1/service-accounts/${created.accountId}`);
    return { id: created.accountId, clientId: created.accountId, clientSecret: created.clientSecret, name: body.name, permissions: [], projects: [], sunsetAt };
  }

  @Get()
  @RequirePermissions('clients:read')
  @ApiOkResponse({ type: ServiceAccountPage })
  async list(@CurrentPrincipal() principal: Principal, @Query() query: PageQuery): Promise<ServiceAccountPage> {
    return pageOf(this.readModels.collection<ServiceAccountView>(SERVICE_ACCOUNTS), { tenantId: principal.tenantId, status: 'active' }, query, toResponse);
  }

  @Get(':id')
  @RequirePermissions('clients:read')
  @ApiOkResponse({ type: ServiceAccountResponse })
  async get(@CurrentPrincipal() principal: Principal, @Param() params: ServiceAccountParams): Promise<ServiceAccountResponse> {
    return toResponse(await this.view(principal, params.id));
  }

  /** The access tokens of this account that would authenticate right now. */
  @Get(':id/tokens')
  @RequirePermissions('clients:read')
  @ApiOkResponse({ type: AccessTokenList })
  async tokens(@CurrentPrincipal() principal: Principal, @Param() params: ServiceAccountParams): Promise<AccessTokenList> {
    const account = await this.view(principal, params.id);
    const page = await this.readModels.collection<AccessTokenView>(ACCESS_TOKENS).list({
      where: { clientId: account.id, status: 'active', clientGeneration: account.secretGeneration },
      orderBy: 'issuedAt',
      direction: 'desc',
      limit: 200,
    });
    const at = now();
    return {
      items: page.items
        .filter((token) => token.expiresAt > at && (account.sunsetAt === null || account.sunsetAt > at))
        .map(({ id, scope, issuedAt, expiresAt }) => ({ id, scope: scope.join(' '), issuedAt, expiresAt })),
    };
  }

  @Put(':id/permissions/:permission')
  @ApiOkResponse({ type: ServiceAccountRightsResponse })
  @RequirePermissions('clients:write')
  grant(@CurrentPrincipal() principal: Principal, @CurrentRequestContext() context: RequestContext, @Param() params: PermissionParams) {
    return this.change(principal, params.id, { type: 'GrantServiceAccountPermission', tenantId: principal.tenantId, permission: params.permission, now: now() }, context);
  }

  @Delete(':id/permissions/:permission')
  @ApiOkResponse({ type: ServiceAccountRightsResponse })
  @RequirePermissions('clients:write')
  removePermission(@CurrentPrincipal() principal: Principal, @CurrentRequestContext() context: RequestContext, @Param() params: PermissionParams) {
    return this.change(principal, params.id, { type: 'RemoveServiceAccountPermission', tenantId: principal.tenantId, permission: params.permission, now: now() }, context);
  }

  @Put(':id/projects/:projectId')
  @ApiOkResponse({ type: ServiceAccountRightsResponse })
  @RequirePermissions('clients:write')
  joinProject(@CurrentPrincipal() principal: Principal, @CurrentRequestContext() context: RequestContext, @Param() params: ProjectParams) {
    return this.change(principal, params.id, { type: 'JoinProject', tenantId: principal.tenantId, projectId: params.projectId, now: now() }, context);
  }

  @Delete(':id/projects/:projectId')
  @ApiOkResponse({ type: ServiceAccountRightsResponse })
  @RequirePermissions('clients:write')
  leaveProject(@CurrentPrincipal() principal: Principal, @CurrentRequestContext() context: RequestContext, @Param() params: ProjectParams) {
    return this.change(principal, params.id, { type: 'LeaveProject', tenantId: principal.tenantId, projectId: params.projectId, now: now() }, context);
  }

  @Put(':id/sunset')
  @ApiOkResponse({ type: ServiceAccountRightsResponse })
  @RequirePermissions('clients:write')
  sunset(@CurrentPrincipal() principal: Principal, @CurrentRequestContext() context: RequestContext, @Param() params: ServiceAccountParams, @Body() body: SunsetDto) {
    const sunsetAt = body.sunsetAt === null ? null : new Date(body.sunsetAt).toISOString();
    return this.change(principal, params.id, { type: 'ChangeServiceAccountSunset', tenantId: principal.tenantId, sunsetAt, now: now() }, context);
  }

  /**
   * The public key the account signs its Kafka commands with (see docs/kafka-commands.md);
   * registering another replaces it, and commands signed with the old one stop verifying.
   */
  @Put(':id/command-signing-key')
  @ApiOkResponse({ type: CommandSigningKeyResponse })
  @RequirePermissions('clients:write')
  async registerCommandSigningKey(
    @CurrentPrincipal() principal: Principal,
    @CurrentRequestContext() context: RequestContext,
    @Param() params: ServiceAccountParams,
    @Body() body: CommandSigningKeyDto,
  ) {
    const publicKey = { kty: body.kty, crv: body.crv, x: body.x };
    const thumbprint = await calculateJwkThumbprint(publicKey, 'sha256');
    await this.commands.execute(
      new ChangeServiceAccountCommand(params.id, { type: 'RegisterCommandSigningKey', tenantId: principal.tenantId, publicKey, thumbprint, now: now() }, context),
    );
    return { id: params.id, commandSigningKey: { thumbprint, publicKey } };
  }

  /** The new secret is shown once; the old one and every permission and project membership are gone. */
  @Post(':id/reset-secret')
  @HttpCode(200)
  @RequirePermissions('clients:write')
  @ApiOkResponse({ type: ServiceAccountSecretResponse })
  async resetSecret(
    @CurrentPrincipal() principal: Principal,
    @CurrentRequestContext() context: RequestContext,
    @Param() params: ServiceAccountParams,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ServiceAccountSecretResponse> {
    const reset = await this.commands.execute(new ResetServiceAccountSecretCommand(principal.tenantId, params.id, context));
    void reply.header('Cache-Control', 'no-store');
    return { id: params.id, clientId: params.id, clientSecret: reset.clientSecret, permissions: [], projects: [] };
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermissions('clients:write')
  async delete(@CurrentPrincipal() principal: Principal, @CurrentRequestContext() context: RequestContext, @Param() params: ServiceAccountParams) {
    await this.commands.execute(new ChangeServiceAccountCommand(params.id, { type: 'DeleteServiceAccount', tenantId: principal.tenantId, now: now() }, context));
  }

  /** Answers with the account as this node's index now sees it, which includes the change. */
  private async change(principal: Principal, accountId: string, change: ServiceAccountChange, context: RequestContext): Promise<ServiceAccountRightsResponse> {
    await this.commands.execute(new ChangeServiceAccountCommand(accountId, change, context));
    const client = this.oauth.client(accountId);
    return { id: accountId, permissions: [...(client?.permissions ?? [])].sort(), projects: this.oauth.projectsOf(accountId) };
  }

  private async view(principal: Principal, accountId: string): Promise<ServiceAccountView> {
    const account = await this.readModels.collection<ServiceAccountView>(SERVICE_ACCOUNTS).get(accountId);
    if (!account || account.tenantId !== principal.tenantId || account.status !== 'active') {
      throw new Problem('not-found', 'Service account not found.');
    }
    return account;
  }
}
