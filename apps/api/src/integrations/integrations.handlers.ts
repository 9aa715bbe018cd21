import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import {
  HashedSecret,
  Integration,
  IntegrationCommand,
  integrationAuthorityNeeds,
  integrationsDecider,
  streamName,
  TenantSettings,
  TenantSettingsCommand,
  tenantSettingsDecider,
  withAuthority,
} from '@keyhold/domain';
import { generateSecret, SecretHasher, secretHint, SecretKind } from '@keyhold/crypto';
import { CommandRunner } from '../command-runner';
import { RequestContext } from '../http/request-context';
import {
  ActivateIntegrationCommand,
  ChangeTenantSettingsCommand,
  CreateIntegrationCommand,
  DeleteIntegrationCommand,
  IntegrationTokens,
  ReauthorizeIntegrationCommand,
} from './integrations.commands';

/**
 * Every integration of a tenant is in the tenant's one integrations stream. Nothing gives an
 * integration, or hands out its tokens, with resources beyond what the caller holds.
 */
const run = (runner: CommandRunner, tenantId: string, command: IntegrationCommand, context: RequestContext) =>
  runner.run(streamName('integrations', tenantId), withAuthority(integrationsDecider, context.caller, integrationAuthorityNeeds), command, {
    ...context,
    tenantId,
    now: command.now,
  });

const issue = (hasher: SecretHasher, kind: SecretKind): { secret: string; stored: HashedSecret } => {
  const secret = generateSecret(kind);
  const { hash, keyId } = hasher.hash(secret);
  return { secret, stored: { hash, hashKeyId: keyId, hint: secretHint(secret) } };
};

const integrationIn = (state: { integrations: Readonly<Record<string, Integration>> }, integrationId: string): Integration => {
  const integration = state.integrations[integrationId];
  if (!integration) throw new Error(`Integration ${integrationId} missing after an accepted command`);
  return integration;
};

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
    private readonly hasher: SecretHasher,
  ) {}

  async execute({ tenantId, integrationId, context }: ActivateIntegrationCommand) {
    const consumerKey = issue(this.hasher, 'integrationConsumerKey');
    const consumerSecret = issue(this.hasher, 'integrationConsumerSecret');
    const accessToken = issue(this.hasher, 'integrationAccessToken');
    const accessTokenSecret = issue(this.hasher, 'integrationAccessTokenSecret');
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
        activatedBy: context.actorId,
        now: new Date().toISOString(),
      },
      context,
    );
    const tokens: IntegrationTokens = {
      consumerKey: consumerKey.secret,
      consumerSecret: consumerSecret.secret,
      accessToken: accessToken.secret,
      accessTokenSecret: accessTokenSecret.secret,
    };
    return { integration: integrationIn(state, integrationId), tokens };
  }
}

@CommandHandler(ReauthorizeIntegrationCommand)
export class ReauthorizeIntegrationHandler implements ICommandHandler<ReauthorizeIntegrationCommand> {
  constructor(
    private readonly runner: CommandRunner,
    private readonly hasher: SecretHasher,
  ) {}

  async execute({ tenantId, integrationId, context }: ReauthorizeIntegrationCommand) {
    const accessToken = issue(this.hasher, 'integrationAccessToken');
    const accessTokenSecret = issue(this.hasher, 'integrationAccessTokenSecret');
    const { state } = await run(
      this.runner,
      tenantId,
      {
        type: 'ReauthorizeIntegration',
        integrationId,
        accessToken: { ...accessToken.stored, id: randomUUID() },
        accessTokenSecret: accessTokenSecret.stored,
        reauthorizedBy: context.actorId,
        now: new Date().toISOString(),
      },
      context,
    );
    return { integration: integrationIn(state, integrationId), tokens: { accessToken: accessToken.secret, accessTokenSecret: accessTokenSecret.secret } };
  }
}

@CommandHandler(DeleteIntegrationCommand)
export class DeleteIntegrationHandler implements ICommandHandler<DeleteIntegrationCommand> {
  constructor(private readonly runner: CommandRunner) {}

  async execute({ tenantId, integrationId, context }: DeleteIntegrationCommand): Promise<void> {
    await run(this.runner, tenantId, { type: 'DeleteIntegration', integrationId, deletedBy: context.actorId, now: new Date().toISOString() }, context);
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
