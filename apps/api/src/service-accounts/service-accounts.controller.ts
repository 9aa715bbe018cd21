import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { CommandBus } from '@nestjs/cqrs';
import { GetServiceAccount, ListServiceAccountTokens, ServiceAccountChange, serviceAccountDetails } from '@keyhold/application';
import { READ_MODEL_STORE, ReadModelStore, SERVICE_ACCOUNTS, ServiceAccountView } from '@keyhold/read-models';
import { CurrentPrincipal, RequirePermissions } from '../http/auth';
import { ApiIfMatch, ETAG_HEADER, IfMatch, setETag } from '../http/etag';
import { CurrentRequestContext, RequestContext } from '../http/request-context';
import { pageOf, PageQuery } from '../http/pagination';
import { OAuthIndex } from '../verification/oauth-index';
import { Principal } from '../verification/principal';
import { ChangeServiceAccountCommand, CreateServiceAccountCommand, RegisterCommandSigningKeyCommand, ResetServiceAccountSecretCommand } from './service-accounts.commands';
import {
  ACCESS_TOKEN_HOURS_OPERATION,
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

/**
 * Service accounts for the client_credentials grant: created with no permissions, granted
 * them one by one, never beyond what the granting admin's own credential carries. Each route
 * validates, runs a use case, and shapes the answer; a change given If-Match runs only on that revision.
 */
@ApiTags('service accounts')
@ApiBearerAuth()
@Controller('v1/service-accounts')
export class ServiceAccountsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly getAccount: GetServiceAccount,
    private readonly listTokens: ListServiceAccountTokens,
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
    const created = await this.commands.execute(new CreateServiceAccountCommand({ tenantId: principal.tenantId, name: body.name, sunsetAt: body.sunsetAt ?? null, context }));
    void reply.status(201).header('Cache-Control', 'no-store').header('Location', `/v1/service-accounts/${created.accountId}`);
    return { id: created.accountId, clientId: created.accountId, clientSecret: created.clientSecret, name: body.name, permissions: [], projects: [], sunsetAt: created.sunsetAt };
  }

  @Get()
  @RequirePermissions('clients:read')
  @ApiOkResponse({ type: ServiceAccountPage })
  async list(@CurrentPrincipal() principal: Principal, @Query() query: PageQuery): Promise<ServiceAccountPage> {
    return pageOf(this.readModels.collection<ServiceAccountView>(SERVICE_ACCOUNTS), { tenantId: principal.tenantId, status: 'active' }, query, serviceAccountDetails);
  }

  @Get(':id')
  @RequirePermissions('clients:read')
  @ApiOkResponse({ type: ServiceAccountResponse, headers: ETAG_HEADER })
  async get(@CurrentPrincipal() principal: Principal, @Param() params: ServiceAccountParams, @Res({ passthrough: true }) reply: FastifyReply): Promise<ServiceAccountResponse> {
    const { account, revision } = await this.getAccount.execute({ tenantId: principal.tenantId, accountId: params.id });
    setETag(reply, revision);
    return account;
  }

  /** The hours in which this account obtained access tokens that may still be live, with its current secret. */
  @Get(':id/tokens')
  @RequirePermissions('clients:read')
  @ApiOperation(ACCESS_TOKEN_HOURS_OPERATION)
  @ApiOkResponse({ type: AccessTokenList, description: 'The issuance hours, newest first.' })
  async tokens(@CurrentPrincipal() principal: Principal, @Param() params: ServiceAccountParams): Promise<AccessTokenList> {
    return { items: await this.listTokens.execute({ tenantId: principal.tenantId, accountId: params.id }) };
  }

  @Put(':id/permissions/:permission')
  @ApiIfMatch()
  @ApiOkResponse({ type: ServiceAccountRightsResponse })
  @RequirePermissions('clients:write')
  grant(@CurrentPrincipal() principal: Principal, @CurrentRequestContext() context: RequestContext, @Param() params: PermissionParams, @IfMatch() expectedRevision: number | undefined) {
    return this.change(principal, context, params.id, { type: 'GrantServiceAccountPermission', permission: params.permission }, expectedRevision);
  }

  @Delete(':id/permissions/:permission')
  @ApiIfMatch()
  @ApiOkResponse({ type: ServiceAccountRightsResponse })
  @RequirePermissions('clients:write')
  removePermission(@CurrentPrincipal() principal: Principal, @CurrentRequestContext() context: RequestContext, @Param() params: PermissionParams, @IfMatch() expectedRevision: number | undefined) {
    return this.change(principal, context, params.id, { type: 'RemoveServiceAccountPermission', permission: params.permission }, expectedRevision);
  }

  @Put(':id/projects/:projectId')
  @ApiIfMatch()
  @ApiOkResponse({ type: ServiceAccountRightsResponse })
  @RequirePermissions('clients:write')
  joinProject(@CurrentPrincipal() principal: Principal, @CurrentRequestContext() context: RequestContext, @Param() params: ProjectParams, @IfMatch() expectedRevision: number | undefined) {
    return this.change(principal, context, params.id, { type: 'JoinProject', projectId: params.projectId }, expectedRevision);
  }

  @Delete(':id/projects/:projectId')
  @ApiIfMatch()
  @ApiOkResponse({ type: ServiceAccountRightsResponse })
  @RequirePermissions('clients:write')
  leaveProject(@CurrentPrincipal() principal: Principal, @CurrentRequestContext() context: RequestContext, @Param() params: ProjectParams, @IfMatch() expectedRevision: number | undefined) {
    return this.change(principal, context, params.id, { type: 'LeaveProject', projectId: params.projectId }, expectedRevision);
  }

  @Put(':id/sunset')
  @ApiIfMatch()
  @ApiOkResponse({ type: ServiceAccountRightsResponse })
  @RequirePermissions('clients:write')
  sunset(
    @CurrentPrincipal() principal: Principal,
    @CurrentRequestContext() context: RequestContext,
    @Param() params: ServiceAccountParams,
    @Body() body: SunsetDto,
    @IfMatch() expectedRevision: number | undefined,
  ) {
    return this.change(principal, context, params.id, { type: 'ChangeServiceAccountSunset', sunsetAt: body.sunsetAt }, expectedRevision);
  }

  /**
   * The public key the account signs its Kafka commands with (see docs/kafka-commands.md);
   * registering another replaces it, and commands signed with the old one stop verifying.
   */
  @Put(':id/command-signing-key')
  @ApiIfMatch()
  @ApiOkResponse({ type: CommandSigningKeyResponse })
  @RequirePermissions('clients:write')
  async registerCommandSigningKey(
    @CurrentPrincipal() principal: Principal,
    @CurrentRequestContext() context: RequestContext,
    @Param() params: ServiceAccountParams,
    @Body() body: CommandSigningKeyDto,
    @IfMatch() expectedRevision: number | undefined,
  ): Promise<CommandSigningKeyResponse> {
    const input = { tenantId: principal.tenantId, accountId: params.id, publicKey: body, context, expectedRevision };
    const commandSigningKey = await this.commands.execute(new RegisterCommandSigningKeyCommand(input));
    return { id: params.id, commandSigningKey };
  }

  /** The new secret is shown once; the old one and every permission and project membership are gone. */
  @Post(':id/reset-secret')
  @HttpCode(200)
  @ApiIfMatch()
  @RequirePermissions('clients:write')
  @ApiOkResponse({ type: ServiceAccountSecretResponse })
  async resetSecret(
    @CurrentPrincipal() principal: Principal,
    @CurrentRequestContext() context: RequestContext,
    @Param() params: ServiceAccountParams,
    @IfMatch() expectedRevision: number | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ServiceAccountSecretResponse> {
    const reset = await this.commands.execute(new ResetServiceAccountSecretCommand({ tenantId: principal.tenantId, accountId: params.id, context, expectedRevision }));
    void reply.header('Cache-Control', 'no-store');
    return { id: params.id, clientId: params.id, clientSecret: reset.clientSecret, permissions: [], projects: [] };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiIfMatch()
  @RequirePermissions('clients:write')
  async delete(@CurrentPrincipal() principal: Principal, @CurrentRequestContext() context: RequestContext, @Param() params: ServiceAccountParams, @IfMatch() expectedRevision: number | undefined) {
    await this.commands.execute(new ChangeServiceAccountCommand({ tenantId: principal.tenantId, accountId: params.id, change: { type: 'DeleteServiceAccount' }, context, expectedRevision }));
  }

  /** Answers with the account as this node's index now sees it, which includes the change. */
  private async change(
    principal: Principal,
    context: RequestContext,
    accountId: string,
    change: ServiceAccountChange,
    expectedRevision: number | undefined,
  ): Promise<ServiceAccountRightsResponse> {
    await this.commands.execute(new ChangeServiceAccountCommand({ tenantId: principal.tenantId, accountId, change, context, expectedRevision }));
    const client = this.oauth.client(accountId);
    return { id: accountId, permissions: [...(client?.permissions ?? [])].sort(), projects: this.oauth.projectsOf(accountId) };
  }
}
