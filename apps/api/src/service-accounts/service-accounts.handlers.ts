import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { ServiceAccountCommand, serviceAccountDecider, streamName } from '@keyhold/domain';
import { generateSecret, SecretHasher, secretHint } from '@keyhold/crypto';
import { EVENT_STORE, EventStore, handleCommand } from '@keyhold/event-store';
import { RejectionError } from '../http/rejection-error';
import { RequestContext } from '../http/request-context';
import { ReadYourWrites } from '../read-your-writes';
import {
  ChangeServiceAccountCommand,
  CreatedServiceAccount,
  CreateServiceAccountCommand,
  ResetServiceAccountSecretCommand,
} from './service-accounts.commands';

/** Runs one service-account command on its stream; the decider refuses another tenant's account. */
const runOnAccount = async (events: EventStore, readYourWrites: ReadYourWrites, accountId: string, command: Exclude<ServiceAccountCommand, { type: 'CreateServiceAccount' }>, context: RequestContext) => {
  const result = await handleCommand(events, streamName('serviceAccount', accountId), serviceAccountDecider, command, {
    ...context,
    tenantId: command.tenantId,
    now: command.now,
  });
  if (result.outcome === 'rejected') throw new RejectionError(result.rejection);
  await readYourWrites.await(result.position);
  return result.state;
};

const newSecret = (hasher: SecretHasher) => {
  const clientSecret = generateSecret('clientSecret');
  const { hash, keyId } = hasher.hash(clientSecret);
  return { clientSecret, stored: { secretHash: hash, hashKeyId: keyId, hint: secretHint(clientSecret) } };
};

@CommandHandler(CreateServiceAccountCommand)
export class CreateServiceAccountHandler implements ICommandHandler<CreateServiceAccountCommand> {
  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    private readonly hasher: SecretHasher,
    private readonly readYourWrites: ReadYourWrites,
  ) {}

  async execute({ tenantId, name, sunsetAt, context }: CreateServiceAccountCommand): Promise<CreatedServiceAccount> {
    const accountId = randomUUID();
    const now = new Date().toISOString();
    const { clientSecret, stored } = newSecret(this.hasher);
    const result = await handleCommand(
      this.events,
      streamName('serviceAccount', accountId),
      serviceAccountDecider,
      { type: 'CreateServiceAccount', tenantId, accountId, name, secret: stored, sunsetAt, now },
      { ...context, tenantId, now },
    );
    if (result.outcome === 'rejected') throw new RejectionError(result.rejection);
    await this.readYourWrites.await(result.position);
    return { accountId, clientSecret };
  }
}

@CommandHandler(ResetServiceAccountSecretCommand)
export class ResetServiceAccountSecretHandler implements ICommandHandler<ResetServiceAccountSecretCommand> {
  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    private readonly hasher: SecretHasher,
    private readonly readYourWrites: ReadYourWrites,
  ) {}

  async execute({ tenantId, accountId, context }: ResetServiceAccountSecretCommand) {
    const { clientSecret, stored } = newSecret(this.hasher);
    const now = new Date().toISOString();
    const state = await runOnAccount(this.events, this.readYourWrites, accountId, { type: 'ResetClientSecret', tenantId, secret: stored, now }, context);
    return { clientSecret, generation: state.status === 'none' ? 0 : state.secretGeneration };
  }
}

@CommandHandler(ChangeServiceAccountCommand)
export class ChangeServiceAccountHandler implements ICommandHandler<ChangeServiceAccountCommand> {
  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    private readonly readYourWrites: ReadYourWrites,
  ) {}

  execute({ accountId, change, context }: ChangeServiceAccountCommand) {
    return runOnAccount(this.events, this.readYourWrites, accountId, change, context);
  }
}
