import { Inject } from '@nestjs/common';
import { KEYHOLD_CONFIG, KeyholdConfig } from '@keyhold/platform';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { ServiceAccountCommand, serviceAccountAuthorityNeeds, serviceAccountDecider, streamName, withAuthority } from '@keyhold/domain';
import { generateSecret, SecretHasher, secretHint } from '@keyhold/crypto';
import { CommandRunner } from '../command-runner';
import { RequestContext } from '../http/request-context';
import { CredentialIndexService } from '../verification/credential-index.service';
import {
  ChangeServiceAccountCommand,
  CreatedServiceAccount,
  CreateServiceAccountCommand,
  ResetServiceAccountSecretCommand,
} from './service-accounts.commands';

/**
 * Runs one service-account command on its stream; the decider refuses another tenant's account,
 * and anything that would give the account more than the caller holds.
 */
const runOnAccount = (runner: CommandRunner, accountId: string, command: ServiceAccountCommand, context: RequestContext) =>
  runner.run(streamName('serviceAccount', accountId), withAuthority(serviceAccountDecider, context.caller, serviceAccountAuthorityNeeds), command, {
    ...context,
    tenantId: command.tenantId,
    now: command.now,
  });

const newSecret = (hasher: SecretHasher) => {
  const clientSecret = generateSecret('clientSecret');
  const { hash, keyId } = hasher.hash(clientSecret);
  return { clientSecret, stored: { secretHash: hash, hashKeyId: keyId, hint: secretHint(clientSecret) } };
};

@CommandHandler(CreateServiceAccountCommand)
export class CreateServiceAccountHandler implements ICommandHandler<CreateServiceAccountCommand> {
  constructor(
    private readonly runner: CommandRunner,
    private readonly hasher: SecretHasher,
    @Inject(KEYHOLD_CONFIG) private readonly config: KeyholdConfig,
  ) {}

  async execute({ tenantId, name, sunsetAt, context }: CreateServiceAccountCommand): Promise<CreatedServiceAccount> {
    const creationCutoff = this.config.SERVICE_ACCOUNT_CREATION_CUTOFF ? new Date(this.config.SERVICE_ACCOUNT_CREATION_CUTOFF).toISOString() : null;
    const accountId = randomUUID();
    const now = new Date().toISOString();
    const { clientSecret, stored } = newSecret(this.hasher);
    await runOnAccount(this.runner, accountId, { type: 'CreateServiceAccount', tenantId, accountId, name, secret: stored, sunsetAt, creationCutoff, now }, context);
    return { accountId, clientSecret };
  }
}

@CommandHandler(ResetServiceAccountSecretCommand)
export class ResetServiceAccountSecretHandler implements ICommandHandler<ResetServiceAccountSecretCommand> {
  constructor(
    private readonly runner: CommandRunner,
    private readonly hasher: SecretHasher,
  ) {}

  async execute({ tenantId, accountId, context }: ResetServiceAccountSecretCommand) {
    const { clientSecret, stored } = newSecret(this.hasher);
    const now = new Date().toISOString();
    const { state } = await runOnAccount(this.runner, accountId, { type: 'ResetClientSecret', tenantId, secret: stored, now }, context);
    return { clientSecret, generation: state.status === 'none' ? 0 : state.secretGeneration };
  }
}

@CommandHandler(ChangeServiceAccountCommand)
export class ChangeServiceAccountHandler implements ICommandHandler<ChangeServiceAccountCommand> {
  constructor(
    private readonly runner: CommandRunner,
    private readonly credentials: CredentialIndexService,
  ) {}

  async execute({ accountId, change, context }: ChangeServiceAccountCommand) {
    const result = await runOnAccount(this.runner, accountId, change, context);
    // Deleting ends the account's secret and access tokens: answered only once this node enforces it.
    if (change.type === 'DeleteServiceAccount') await this.credentials.confirmRevocation(result.position);
    return result.state;
  }
}
