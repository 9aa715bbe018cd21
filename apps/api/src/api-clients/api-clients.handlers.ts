import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { ApiClientCommand, apiClientAuthorityNeeds, apiClientDecider, streamName, withAuthority } from '@keyhold/domain';
import { generateSecret, SecretHasher, secretHint } from '@keyhold/crypto';
import { CommandRunner } from '../command-runner';
import { RequestContext } from '../http/request-context';
import { CredentialIndexService } from '../verification/credential-index.service';
import { AddClientSecretCommand, AddedClientSecret, ChangeApiClientCommand, CreateApiClientCommand, CreatedApiClient } from './api-clients.commands';

const DAY_MS = 86_400_000;

/**
 * Runs one API-client command on its stream; the decider refuses another tenant's client, and
 * anything that would give the client more than the caller holds.
 */
const runOnClient = (runner: CommandRunner, clientId: string, command: ApiClientCommand, context: RequestContext) =>
  runner.run(streamName('apiClient', clientId), withAuthority(apiClientDecider, context.caller, apiClientAuthorityNeeds), command, {
    ...context,
    tenantId: command.tenantId,
    now: command.now,
  });

/** A fresh secret, its id, and what is stored of it (its keyed hash and hint); the expiry counts from `nowMs`. */
const newSecret = (hasher: SecretHasher, nowMs: number, lifetimeDays: number) => {
  const clientSecret = generateSecret('clientSecret');
  const { hash, keyId } = hasher.hash(clientSecret);
  return {
    clientSecret,
    secretId: randomUUID(),
    stored: { secretHash: hash, hashKeyId: keyId, hint: secretHint(clientSecret) },
    expiresAt: new Date(nowMs + lifetimeDays * DAY_MS).toISOString(),
  };
};

@CommandHandler(CreateApiClientCommand)
export class CreateApiClientHandler implements ICommandHandler<CreateApiClientCommand> {
  constructor(
    private readonly runner: CommandRunner,
    private readonly hasher: SecretHasher,
  ) {}

  async execute({ tenantId, name, secretLifetimeDays, context }: CreateApiClientCommand): Promise<CreatedApiClient> {
    const clientId = randomUUID();
    const nowMs = Date.now();
    const now = new Date(nowMs).toISOString();
    const { clientSecret, secretId, stored, expiresAt } = newSecret(this.hasher, nowMs, secretLifetimeDays);
    await runOnClient(this.runner, clientId, { type: 'CreateApiClient', tenantId, clientId, name, secretId, secret: stored, secretExpiresAt: expiresAt, now }, context);
    return { clientId, clientSecret, secretId, secretExpiresAt: expiresAt };
  }
}

@CommandHandler(AddClientSecretCommand)
export class AddClientSecretHandler implements ICommandHandler<AddClientSecretCommand> {
  constructor(
    private readonly runner: CommandRunner,
    private readonly hasher: SecretHasher,
  ) {}

  async execute({ tenantId, clientId, lifetimeDays, context }: AddClientSecretCommand): Promise<AddedClientSecret> {
    const nowMs = Date.now();
    const now = new Date(nowMs).toISOString();
    const { clientSecret, secretId, stored, expiresAt } = newSecret(this.hasher, nowMs, lifetimeDays);
    await runOnClient(this.runner, clientId, { type: 'AddClientSecret', tenantId, secretId, secret: stored, expiresAt, now }, context);
    return { secretId, clientSecret, expiresAt };
  }
}

/** Changes that end credentials: answered only once this node enforces them. */
const REVOKING: ReadonlySet<ApiClientCommand['type']> = new Set(['RemoveClientSecret', 'DeleteApiClient']);

@CommandHandler(ChangeApiClientCommand)
export class ChangeApiClientHandler implements ICommandHandler<ChangeApiClientCommand> {
  constructor(
    private readonly runner: CommandRunner,
    private readonly credentials: CredentialIndexService,
  ) {}

  async execute({ clientId, change, context }: ChangeApiClientCommand) {
    const result = await runOnClient(this.runner, clientId, change, context);
    if (REVOKING.has(change.type)) await this.credentials.confirmRevocation(result.position);
    return result.state;
  }
}
