import { Command } from '@nestjs/cqrs';
import { Integration, ResourceAccess, TenantSettings } from '@keyhold/domain';
import { RequestContext } from '../http/request-context';

export class CreateIntegrationCommand extends Command<Integration> {
  constructor(
    readonly tenantId: string,
    readonly name: string,
    readonly email: string,
    readonly callbackUrl: string | null,
    readonly identityLinkUrl: string | null,
    readonly resourceAccess: ResourceAccess,
    readonly resources: string[],
    readonly context: RequestContext,
  ) {
    super();
  }
}

/** The four secrets, shown this once. */
export type IntegrationTokens = { consumerKey: string; consumerSecret: string; accessToken: string; accessTokenSecret: string };

export class ActivateIntegrationCommand extends Command<{ integration: Integration; tokens: IntegrationTokens }> {
  constructor(
    readonly tenantId: string,
    readonly integrationId: string,
    readonly context: RequestContext,
  ) {
    super();
  }
}

export class ReauthorizeIntegrationCommand extends Command<{ integration: Integration; tokens: Pick<IntegrationTokens, 'accessToken' | 'accessTokenSecret'> }> {
  constructor(
    readonly tenantId: string,
    readonly integrationId: string,
    readonly context: RequestContext,
  ) {
    super();
  }
}

export class DeleteIntegrationCommand extends Command<void> {
  constructor(
    readonly tenantId: string,
    readonly integrationId: string,
    readonly context: RequestContext,
  ) {
    super();
  }
}

/** The settings given, each changed on its own; those left out stay as they are. */
export type TenantSettingsChange = Partial<TenantSettings>;

export class ChangeTenantSettingsCommand extends Command<TenantSettings> {
  constructor(
    readonly tenantId: string,
    readonly change: TenantSettingsChange,
    readonly context: RequestContext,
  ) {
    super();
  }
}
