import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { ConfirmUserPassword } from '@keyhold/application';
import { DEFAULT_TENANT_SETTINGS, Integration, INTEGRATION_RESOURCE_NAMES, INTEGRATION_RESOURCES, TenantSettings } from '@keyhold/domain';
import { KEYHOLD_CONFIG, KeyholdConfig } from '@keyhold/platform';
import { INTEGRATIONS, IntegrationView, READ_MODEL_STORE, ReadModelStore, TENANT_SETTINGS, TenantSettingsView } from '@keyhold/read-models';
import { CurrentPrincipal, RequirePermissions } from '../http/auth';
import { GuestAccess, GuestAccessible } from '../http/guest-access';
import { pageOf, PageQuery } from '../http/pagination';
import { Problem } from '../http/problem';
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
  TenantSettingsChange,
} from './integrations.commands';

/** As the read model keeps it: hints of the secrets at most. */
const fromView = (view: IntegrationView): IntegrationViewResponse => ({
  id: view.id,
  name: view.name,
  email: view.email,
  callbackUrl: view.callbackUrl,
  identityLinkUrl: view.identityLinkUrl,
  insecure: view.insecure,
  resourceAccess: view.resourceAccess,
  resources: view.resources,
  status: view.status,
  hints: view.hints,
  createdAt: view.createdAt,
  activatedAt: view.activatedAt,
  reauthorizedAt: view.reauthorizedAt,
  confirmedAt: view.confirmedAt ?? null,
});

/** As a command left it; the audit history's state at an instant shows the same. */
export const integrationFromState = (integration: Integration): IntegrationResponse => ({
  id: integration.integrationId,
  name: integration.name,
  email: integration.email,
  callbackUrl: integration.callbackUrl,
  identityLinkUrl: integration.identityLinkUrl,
  insecure: integration.insecure,
  resourceAccess: integration.resourceAccess,
  resources: [...integration.resources],
  status: integration.status,
  createdAt: integration.createdAt,
});

const settingsResponse = (settings: Partial<TenantSettings> | null): TenantSettings => ({
  allowAnonymousGuestAccess: settings?.allowAnonymousGuestAccess ?? DEFAULT_TENANT_SETTINGS.allowAnonymousGuestAccess,
  clientSecretMaxLifetimeDays: settings?.clientSecretMaxLifetimeDays ?? DEFAULT_TENANT_SETTINGS.clientSecretMaxLifetimeDays,
});

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
    private readonly confirmPassword: ConfirmUserPassword,
    @Inject(READ_MODEL_STORE) private readonly readModels: ReadModelStore,
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
    await this.confirmPassword.execute({ holder: principal, password: body.password });
    const integration = await this.commands.execute(
      new CreateIntegrationCommand(
        principal.tenantId,
        body.name,
        body.email,
        body.callbackUrl ?? null,
        body.identityLinkUrl ?? null,
        body.resourceAccess,
        body.resources ?? [],
        context,
      ),
    );
    void reply.status(201).header('Location', `/v1/integrations/${integration.integrationId}`);
    return integrationFromState(integration);
  }

  @Get('integrations')
  @ApiOkResponse({ type: IntegrationPage })
  @RequirePermissions('integrations:read')
  async list(@CurrentPrincipal() principal: Principal, @Query() query: PageQuery) {
    return pageOf(this.readModels.collection<IntegrationView>(INTEGRATIONS), { tenantId: principal.tenantId, deleted: false }, query, fromView);
  }

  @Get('integrations/:id')
  @ApiOkResponse({ type: IntegrationViewResponse })
  @RequirePermissions('integrations:read')
  async get(@CurrentPrincipal() principal: Principal, @Param() params: IntegrationParams) {
    const view = await this.readModels.collection<IntegrationView>(INTEGRATIONS).get(params.id);
    if (!view || view.tenantId !== principal.tenantId) throw new Problem('not-found', 'Integration not found.');
    if (view.status === 'deleted') throw new Problem('integration-deleted', 'The integration was deleted.');
    return fromView(view);
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
  async activate(
    @CurrentPrincipal() principal: Principal,
    @CurrentRequestContext() context: RequestContext,
    @Param() params: IntegrationParams,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const baseUrl = publicBaseUrl(this.config);
    const result = await this.commands.execute(new ActivateIntegrationCommand(principal.tenantId, params.id, context, baseUrl));
    void reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
    if (result.kind === 'handshake') {
      void reply.status(202);
      return { ...integrationFromState(result.integration), identityLink: result.identityLink };
    }
    return { ...integrationFromState(result.integration), tokens: result.tokens };
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
  async reauthorize(
    @CurrentPrincipal() principal: Principal,
    @CurrentRequestContext() context: RequestContext,
    @Param() params: IntegrationParams,
    @Body() body: PasswordConfirmationDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    if (principal.actor.kind !== 'user') {
      throw new Problem('authority-exceeded', 'Reauthorizing an integration needs a user confirming with their password; a machine credential never may.');
    }
    await this.confirmPassword.execute({ holder: principal, password: body.password });
    const { integration, tokens } = await this.commands.execute(new ReauthorizeIntegrationCommand(principal.tenantId, params.id, context));
    void reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
    return { ...integrationFromState(integration), tokens };
  }

  @Delete('integrations/:id')
  @HttpCode(204)
  @RequirePermissions('integrations:write')
  async delete(@CurrentPrincipal() principal: Principal, @CurrentRequestContext() context: RequestContext, @Param() params: IntegrationParams) {
    await this.commands.execute(new DeleteIntegrationCommand(principal.tenantId, params.id, context));
  }

  @Get('settings')
  @ApiOkResponse({ type: TenantSettingsResponse })
  @RequirePermissions('settings:read')
  async settings(@CurrentPrincipal() principal: Principal) {
    return settingsResponse(await this.readModels.collection<TenantSettingsView>(TENANT_SETTINGS).get(principal.tenantId));
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
  async changeSettings(@CurrentPrincipal() principal: Principal, @CurrentRequestContext() context: RequestContext, @Body() body: TenantSettingsDto) {
    const { allowAnonymousGuestAccess, clientSecretMaxLifetimeDays } = body;
    const serviceMax = this.config.CLIENT_SECRET_MAX_DAYS;
    if (typeof clientSecretMaxLifetimeDays === 'number' && clientSecretMaxLifetimeDays > serviceMax) {
      const message = `clientSecretMaxLifetimeDays must be at most ${serviceMax} days (the service-wide maximum)`;
      throw new Problem('validation-error', message, { errors: [{ field: 'clientSecretMaxLifetimeDays', messages: [message] }] });
    }
    if (allowAnonymousGuestAccess === undefined && clientSecretMaxLifetimeDays === undefined) return this.settings(principal);
    const change: TenantSettingsChange = { allowAnonymousGuestAccess, clientSecretMaxLifetimeDays };
    return settingsResponse(await this.commands.execute(new ChangeTenantSettingsCommand(principal.tenantId, change, context)));
  }
}
