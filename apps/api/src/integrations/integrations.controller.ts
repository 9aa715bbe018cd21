import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { detailsOfIntegration, GetIntegration, GetTenantSettings, ListIntegrations } from '@keyhold/application';
import { INTEGRATION_RESOURCE_NAMES, INTEGRATION_RESOURCES } from '@keyhold/domain';
import { KEYHOLD_CONFIG, KeyholdConfig } from '@keyhold/platform';
import { CurrentPrincipal, RequirePermissions } from '../http/auth';
import { ApiIfMatch, ETAG_HEADER, IfMatch, setETag } from '../http/etag';
import { GuestAccess, GuestAccessible } from '../http/guest-access';
import { PageQuery } from '../http/pagination';
import { publicBaseUrl } from '../http/public-url';
import { CurrentRequestContext, RequestContext } from '../http/request-context';
import { Principal } from '../verification/principal';
import {
  GuestAccessResponse,
  ActivatedIntegrationResponse,
  CreateIntegrationDto,
  IntegrationPage,
  IntegrationParams,
  IntegrationResponse,
  IntegrationViewResponse,
  PasswordConfirmationDto,
  ReauthorizedIntegrationResponse,
  ResourceCatalogue,
  TenantSettingsDto,
  TenantSettingsResponse,
} from './integration.dto';
import {
  ActivateIntegrationCommand,
  ChangeTenantSettingsCommand,
  CreateIntegrationCommand,
  DeleteIntegrationCommand,
  ReauthorizeIntegrationCommand,
} from './integrations.commands';

const RESOURCE_CATALOGUE = INTEGRATION_RESOURCE_NAMES.map((name) => ({
  name,
  description: INTEGRATION_RESOURCES[name].description,
  permissions: [...INTEGRATION_RESOURCES[name].permissions],
}));

/**
 * Integrations: third parties given an access token limited to the resources chosen. Created
 * inactive with the admin's password as confirmation; activating shows the four secrets once;
 * reauthorizing replaces the access token and its secret, the old ones dead at once.
 */
@ApiTags('integrations')
@ApiBearerAuth()
@Controller('v1')
export class IntegrationsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly getIntegration: GetIntegration,
    private readonly listIntegrations: ListIntegrations,
    private readonly tenantSettings: GetTenantSettings,
    @Inject(KEYHOLD_CONFIG) private readonly config: KeyholdConfig,
    private readonly guests: GuestAccess,
  ) {}

  /**
   * The published catalogue of resources an integration can be given, with what each allows.
   * Guests may read it without a credential where the tenant allows anonymous guest access.
   */
  @Get('integrations/resources')
  @ApiOkResponse({ type: ResourceCatalogue })
  @RequirePermissions('integrations:read')
  @GuestAccessible()
  resources() {
    return { items: RESOURCE_CATALOGUE };
  }

  @Post('integrations')
  @ApiCreatedResponse({ type: IntegrationResponse })
  @RequirePermissions('integrations:write')
  async create(
    @CurrentPrincipal() principal: Principal,
    @CurrentRequestContext() context: RequestContext,
    @Body() body: CreateIntegrationDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { name, email, resourceAccess, password } = body;
    const integration = await this.commands.execute(
      new CreateIntegrationCommand({
        tenantId: principal.tenantId,
        name,
        email,
        callbackUrl: body.callbackUrl ?? null,
        identityLinkUrl: body.identityLinkUrl ?? null,
        resourceAccess,
        resources: body.resources ?? [],
        context,
        holder: principal,
        password,
      }),
    );
    void reply.status(201).header('Location', `/v1/integrations/${integration.integrationId}`);
    return detailsOfIntegration(integration);
  }

  @Get('integrations')
  @ApiOkResponse({ type: IntegrationPage })
  @RequirePermissions('integrations:read')
  list(@CurrentPrincipal() principal: Principal, @Query() query: PageQuery) {
    return this.listIntegrations.execute({ tenantId: principal.tenantId, limit: query.limit ?? 50, cursor: query.cursor ?? null });
  }

  @Get('integrations/:id')
  @ApiOkResponse({ type: IntegrationViewResponse, headers: ETAG_HEADER })
  @RequirePermissions('integrations:read')
  async get(@CurrentPrincipal() principal: Principal, @Param() params: IntegrationParams, @Res({ passthrough: true }) reply: FastifyReply) {
    const { integration, revision } = await this.getIntegration.execute({ tenantId: principal.tenantId, integrationId: params.id });
    setETag(reply, revision);
    return integration;
  }

  /**
   * Without a callback URL: shows the consumer key and secret, access token and secret, this
   * once, never again. With one: sends the consumer key and secret, Keyhold's base URL and a
   * verifier to it, and answers 202 with the identity link the admin is to follow; the
   * integration then gets its access token through the OAuth 1.0a handshake (docs/integrations-oauth1.md).
   */
  @Post('integrations/:id/activate')
  @ApiOkResponse({ type: ActivatedIntegrationResponse })
  @HttpCode(200)
  @RequirePermissions('integrations:write')
  @ApiIfMatch()
  async activate(
    @CurrentPrincipal() principal: Principal,
    @CurrentRequestContext() context: RequestContext,
    @Param() params: IntegrationParams,
    @IfMatch() expectedRevision: number | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const baseUrl = publicBaseUrl(this.config);
    const result = await this.commands.execute(new ActivateIntegrationCommand({ tenantId: principal.tenantId, integrationId: params.id, context, baseUrl, expectedRevision }));
    void reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
    if (result.kind === 'handshake') {
      void reply.status(202);
      return { ...detailsOfIntegration(result.integration), identityLink: result.identityLink };
    }
    return { ...detailsOfIntegration(result.integration), tokens: result.tokens };
  }

  /**
   * A new access token and secret; the previous ones stop working before this answers. Only a
   * user confirming with their password may ask, never a machine credential, and only for an
   * integration whose resources they hold themselves.
   */
  @Post('integrations/:id/reauthorize')
  @ApiOkResponse({ type: ReauthorizedIntegrationResponse })
  @HttpCode(200)
  @RequirePermissions('integrations:write')
  @ApiIfMatch()
  async reauthorize(
    @CurrentPrincipal() principal: Principal,
    @CurrentRequestContext() context: RequestContext,
    @Param() params: IntegrationParams,
    @Body() body: PasswordConfirmationDto,
    @IfMatch() expectedRevision: number | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { integration, tokens } = await this.commands.execute(
      new ReauthorizeIntegrationCommand({ tenantId: principal.tenantId, integrationId: params.id, context, expectedRevision, holder: principal, password: body.password }),
    );
    void reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
    return { ...detailsOfIntegration(integration), tokens };
  }

  @Delete('integrations/:id')
  @HttpCode(204)
  @RequirePermissions('integrations:write')
  @ApiIfMatch()
  async delete(
    @CurrentPrincipal() principal: Principal,
    @CurrentRequestContext() context: RequestContext,
    @Param() params: IntegrationParams,
    @IfMatch() expectedRevision: number | undefined,
  ) {
    await this.commands.execute(new DeleteIntegrationCommand({ tenantId: principal.tenantId, integrationId: params.id, context, expectedRevision }));
  }

  @Get('settings')
  @ApiOkResponse({ type: TenantSettingsResponse })
  @RequirePermissions('settings:read')
  settings(@CurrentPrincipal() principal: Principal) {
    return this.tenantSettings.execute({ tenantId: principal.tenantId });
  }

  /** How anonymous guests used the API on this node since it started (served, refused, rate-limited). */
  @Get('settings/guest-access')
  @ApiOkResponse({ type: GuestAccessResponse })
  @RequirePermissions('settings:read')
  async guestAccess(@CurrentPrincipal() principal: Principal) {
    const { allowAnonymousGuestAccess } = await this.settings(principal);
    return { allowAnonymousGuestAccess, guestAccessibleRoutes: ['GET /v1/integrations/resources'], ...this.guests.usageOf(principal.tenantId) };
  }

  @Patch('settings')
  @ApiOkResponse({ type: TenantSettingsResponse })
  @RequirePermissions('settings:write')
  changeSettings(@CurrentPrincipal() principal: Principal, @CurrentRequestContext() context: RequestContext, @Body() body: TenantSettingsDto) {
    const { allowAnonymousGuestAccess, clientSecretMaxLifetimeDays } = body;
    return this.commands.execute(new ChangeTenantSettingsCommand({ tenantId: principal.tenantId, change: { allowAnonymousGuestAccess, clientSecretMaxLifetimeDays }, context }));
  }
}
