import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequirePermissions } from '../http/auth';
import { Principal } from '../verification/principal';
import { ExpiringClientSecretPage, ExpiringSecretsQuery } from './api-clients.dto';
import { ExpiringClientSecrets } from './expiring-client-secrets';

/** Secrets across the tenant's API clients, for rotating them before they expire. */
@ApiTags('API clients')
@ApiBearerAuth()
@Controller('v1/api-client-secrets')
export class ClientSecretsController {
  constructor(private readonly expiringSecrets: ExpiringClientSecrets) {}

  /** Active secrets expiring within N days, soonest first; the page ends where the threshold is passed. */
  @Get()
  @ApiOkResponse({ type: ExpiringClientSecretPage })
  @RequirePermissions('clients:read')
  expiring(@CurrentPrincipal() principal: Principal, @Query() query: ExpiringSecretsQuery) {
    return this.expiringSecrets.page(principal.tenantId, query.expiringWithinDays, query);
  }
}
