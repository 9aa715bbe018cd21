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

/**
 * Without a callback URL, the four secrets; with one, the handshake started: the consumer
 * credentials went to the callback URL, and the admin is to follow the identity link (if any).
 */
export type ActivationResult =
  | { kind: 'tokens'; integration: Integration; tokens: IntegrationTokens }
  | { kind: 'handshake'; integration: Integration; identityLink: string | null };

export class ActivateIntegrationCommand extends Command<ActivationResult> {
  constructor(
    readonly tenantId: string,
    readonly integrationId: string,
    readonly context: RequestContext,
    /** Keyhold's own base URL, sent to the callback URL and used for the admin's way back. */
    readonly baseUrl: string = '',
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
