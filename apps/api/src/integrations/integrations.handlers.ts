import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import {
  Integration,
  streamName,
  TenantSettings,
  TenantSettingsCommand,
  tenantSettingsDecider,
  withAuthority,
} from '@keyhold/domain';
import { CommandRunner } from '../command-runner';
import {
  ActivateIntegrationCommand,
  ActivationResult,
  ChangeTenantSettingsCommand,
  CreateIntegrationCommand,
  DeleteIntegrationCommand,
  IntegrationTokens,
  ReauthorizeIntegrationCommand,
} from './integrations.commands';
import { IntegrationCallback } from './integration-callback';
import { integrationIn, run } from './integrations-stream';
import { IntegrationSecrets } from './integration-secrets';

@CommandHandler(CreateIntegrationCommand)
export class CreateIntegrationHandler implements ICommandHandler<CreateIntegrationCommand> {
  constructor(private readonly runner: CommandRunner) {}

  async execute(command: CreateIntegrationCommand): Promise<Integration> {
    const integrationId = randomUUID();
    const { state } = await run(
      this.runner,
      command.tenantId,
      {
        type: 'CreateIntegration',
        tenantId: command.tenantId,
        integrationId,
        name: command.name,
        email: command.email,
        callbackUrl: command.callbackUrl,
        identityLinkUrl: command.identityLinkUrl,
        resourceAccess: command.resourceAccess,
        resources: command.resources,
        createdBy: command.context.actorId,
        now: new Date().toISOString(),
      },
      command.context,
    );
    return integrationIn(state, integrationId);
  }
}

@CommandHandler(ActivateIntegrationCommand)
export class ActivateIntegrationHandler implements ICommandHandler<ActivateIntegrationCommand> {
  constructor(
    private readonly runner: CommandRunner,
    private readonly secrets: IntegrationSecrets,
    private readonly callback: IntegrationCallback,
  ) {}

  async execute({ tenantId, integrationId, context, baseUrl }: ActivateIntegrationCommand): Promise<ActivationResult> {
    const now = new Date().toISOString();
    const consumerKey = this.secrets.issue('integrationConsumerKey');
    const consumerSecret = this.secrets.issue('integrationConsumerSecret');
    const accessToken = this.secrets.issue('integrationAccessToken');
    const accessTokenSecret = this.secrets.issue('integrationAccessTokenSecret');
    const verifier = this.secrets.issue('integrationVerifier');
    const returnState = this.secrets.issue('integrationReturnState');
    const sealed = await this.secrets.seal(integrationId, now, (seal, dataKeyId) => ({
      dataKeyId,
      consumerSecret: seal('consumerSecret', consumerSecret.secret),
      accessTokenSecret: seal('accessTokenSecret', accessTokenSecret.secret),
    }));
    const { state } = await run(
      this.runner,
      tenantId,
      {
        type: 'ActivateIntegration',
        integrationId,
        consumerKey: consumerKey.stored,
        consumerSecret: consumerSecret.stored,
        accessToken: { ...accessToken.stored, id: randomUUID() },
        accessTokenSecret: accessTokenSecret.stored,
        sealed,
        verifier: verifier.stored,
        returnState: returnState.stored,
        activatedBy: context.actorId,
        now,
      },
      context,
    );
    const integration = integrationIn(state, integrationId);
    if (integration.status === 'activating') {
      await this.callback.deliver(tenantId, integration, { consumerKey: consumerKey.secret, consumerSecret: consumerSecret.secret, verifier: verifier.secret }, baseUrl, context);
      return { kind: 'handshake', integration, identityLink: identityLink(integration, tenantId, returnState.secret, baseUrl) };
    }
    const tokens: IntegrationTokens = {
      consumerKey: consumerKey.secret,
      consumerSecret: consumerSecret.secret,
      accessToken: accessToken.secret,
      accessTokenSecret: accessTokenSecret.secret,
    };
    return { kind: 'tokens', integration, tokens };
  }
}

/** Where the admin goes to log in at the integration, told where to come back to. */
const identityLink = (integration: Integration, tenantId: string, returnState: string, baseUrl: string): string | null => {
  if (!integration.identityLinkUrl) return null;
  const back = new URL(`${baseUrl}/integrations/return`);
  back.searchParams.set('tenant', tenantId);
  back.searchParams.set('integration', integration.integrationId);
  back.searchParams.set('state', returnState);
  const link = new URL(integration.identityLinkUrl);
  link.searchParams.set('integration_id', integration.integrationId);
  link.searchParams.set('success_call_back', back.toString());
  return link.toString();
};

@CommandHandler(ReauthorizeIntegrationCommand)
export class ReauthorizeIntegrationHandler implements ICommandHandler<ReauthorizeIntegrationCommand> {
  constructor(
    private readonly runner: CommandRunner,
    private readonly secrets: IntegrationSecrets,
  ) {}

  async execute({ tenantId, integrationId, context }: ReauthorizeIntegrationCommand) {
    const now = new Date().toISOString();
    const pair = await this.secrets.issueTokenPair(integrationId, now, 'access');
    const { state } = await run(
      this.runner,
      tenantId,
      {
        type: 'ReauthorizeIntegration',
        integrationId,
        accessToken: pair.storedToken,
        accessTokenSecret: pair.storedSecret,
        sealedAccessTokenSecret: pair.sealedSecret,
        reauthorizedBy: context.actorId,
        now,
      },
      context,
    );
    return { integration: integrationIn(state, integrationId), tokens: { accessToken: pair.token, accessTokenSecret: pair.tokenSecret } };
  }
}

@CommandHandler(DeleteIntegrationCommand)
export class DeleteIntegrationHandler implements ICommandHandler<DeleteIntegrationCommand> {
  constructor(
    private readonly runner: CommandRunner,
    private readonly secrets: IntegrationSecrets,
  ) {}

  async execute({ tenantId, integrationId, context }: DeleteIntegrationCommand): Promise<void> {
    const now = new Date().toISOString();
    await run(this.runner, tenantId, { type: 'DeleteIntegration', integrationId, deletedBy: context.actorId, now }, context);
    // The event first, then the key (as for connections): its sealed signing secrets are gone with it.
    await this.secrets.destroy(integrationId, now);
  }
}

@CommandHandler(ChangeTenantSettingsCommand)
export class ChangeTenantSettingsHandler implements ICommandHandler<ChangeTenantSettingsCommand> {
  constructor(private readonly runner: CommandRunner) {}

  /** One domain command per setting given, so that each change is its own event. */
  async execute({ tenantId, change, context }: ChangeTenantSettingsCommand): Promise<TenantSettings> {
    const now = new Date().toISOString();
    const changedBy = context.actorId;
    const commands: TenantSettingsCommand[] = [];
    if (change.allowAnonymousGuestAccess !== undefined) {
      commands.push({ type: 'SetAnonymousGuestAccess', tenantId, allowed: change.allowAnonymousGuestAccess, changedBy, now });
    }
    if (change.clientSecretMaxLifetimeDays !== undefined) {
      commands.push({ type: 'SetClientSecretMaxLifetime', tenantId, maxDays: change.clientSecretMaxLifetimeDays, changedBy, now });
    }
    let last: { state: TenantSettings } | undefined;
    for (const command of commands) {
      last = await this.runner.run(streamName('tenantSettings', tenantId), tenantSettingsDecider, command, { ...context, tenantId, now });
    }
    if (!last) throw new Error('ChangeTenantSettingsCommand needs at least one setting');
    return last.state;
  }
}
