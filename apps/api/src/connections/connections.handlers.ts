import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { ConnectionCommand, connectionAuthorityNeeds, connectionDecider, ConnectionState, fold, streamName, withAuthority } from '@keyhold/domain';
import { EVENT_STORE, EventStore } from '@keyhold/event-store';
import { DataKey, DataKeyService, DataKeyUnavailableError, MasterKeyUnavailableError, UnwrapError } from '@keyhold/key-store';
import { CommandRunner } from '../command-runner';
import { Problem } from '../http/problem';
import { rejectionOf } from '@keyhold/application';
import { RequestContext } from '../http/request-context';
import { seal, unseal } from './connection-secrets';
import {
  AccessConnectionCommand,
  AccessedCredential,
  ActiveConnection,
  CreateConnectionCommand,
  DeleteConnectionCommand,
  UpdateConnectionCommand,
} from './connections.commands';

const connectionStream = (connectionId: string) => streamName('connection', connectionId);

/** Only a caller who could obtain a stored credential may set one, or obtain it. */
const run = (runner: CommandRunner, command: ConnectionCommand, context: RequestContext) =>
  runner.run(connectionStream(command.connectionId), withAuthority(connectionDecider, context.caller, connectionAuthorityNeeds), command, {
    ...context,
    tenantId: command.tenantId,
    now: command.now,
  });

const active = (state: ConnectionState): ActiveConnection => {
  if (state.status !== 'active') throw new Error(`Connection expected active, is ${state.status}`);
  return state;
};

/** A data key in clear is wiped as soon as the operation that needed it is done. */
const withKey = async <T>(key: DataKey, use: (key: DataKey) => T | Promise<T>): Promise<T> => {
  try {
    return await use(key);
  } finally {
    key.key.fill(0);
  }
};

/**
 * A data key that cannot be unwrapped (its master key is not configured, or the stored wrapping
 * does not authenticate) is the operator's problem, not the caller's: 503, and no detail out.
 */
const unwrapped = async (dataKeys: DataKeyService, connectionId: string): Promise<DataKey> => {
  try {
    return await dataKeys.get(connectionId);
  } catch (error) {
    if (error instanceof MasterKeyUnavailableError || error instanceof UnwrapError) {
      throw new Problem('service-unavailable', 'The key protecting this connection cannot be opened with the configured master keys.');
    }
    throw error;
  }
};

const currentState = async (events: EventStore, connectionId: string): Promise<ConnectionState> => {
  const recorded = await events.readStream(connectionStream(connectionId));
  return fold(connectionDecider, recorded.map(({ type, data }) => ({ type, data }) as Parameters<typeof connectionDecider.evolve>[1]));
};

@CommandHandler(CreateConnectionCommand)
export class CreateConnectionHandler implements ICommandHandler<CreateConnectionCommand> {
  constructor(
    private readonly runner: CommandRunner,
    private readonly dataKeys: DataKeyService,
  ) {}

  async execute(command: CreateConnectionCommand): Promise<ActiveConnection> {
    const connectionId = randomUUID();
    const now = new Date().toISOString();
    // The key is stored (wrapped) before any ciphertext exists that needs it.
    const key = await this.dataKeys.create(connectionId, now);
    const dataKeyId = key.keyId;
    const secrets = await withKey(key, (dataKey) => seal(dataKey, command.secrets));
    try {
      const { state } = await run(
        this.runner,
        {
          type: 'CreateConnection',
          tenantId: command.tenantId,
          connectionId,
          name: command.name,
          service: command.service,
          allowedDomains: command.allowedDomains,
          credential: command.credential,
          secrets,
          dataKeyId,
          createdBy: command.context.actorId,
          now,
        },
        command.context,
      );
      return active(state);
    } catch (error) {
      // Refused: nothing was stored that the key could open, so it goes at once.
      if (rejectionOf(error)) await this.dataKeys.destroy(connectionId, now);
      throw error;
    }
  }
}

@CommandHandler(UpdateConnectionCommand)
export class UpdateConnectionHandler implements ICommandHandler<UpdateConnectionCommand> {
  constructor(
    private readonly runner: CommandRunner,
    private readonly dataKeys: DataKeyService,
    @Inject(EVENT_STORE) private readonly events: EventStore,
  ) {}

  async execute({ tenantId, connectionId, changes, secrets, context }: UpdateConnectionCommand): Promise<ActiveConnection> {
    const now = new Date().toISOString();
    const command = { type: 'UpdateConnection' as const, tenantId, connectionId, ...changes, secrets: {}, updatedBy: context.actorId, now };
    if (Object.keys(secrets).length === 0) return active((await run(this.runner, command, context)).state);
    // New secrets are sealed with the connection's own key; one that is not (or no longer) there
    // gets the decider's answer (not found, deleted), never a hint from the key store.
    const state = await currentState(this.events, connectionId);
    if (state.status !== 'active' || state.tenantId !== tenantId) return active((await run(this.runner, command, context)).state);
    const sealed = await withKey(await unwrapped(this.dataKeys, connectionId), (key) => seal(key, secrets));
    return active((await run(this.runner, { ...command, secrets: sealed }, context)).state);
  }
}

@CommandHandler(DeleteConnectionCommand)
export class DeleteConnectionHandler implements ICommandHandler<DeleteConnectionCommand> {
  constructor(
    private readonly runner: CommandRunner,
    private readonly dataKeys: DataKeyService,
  ) {}

  async execute({ tenantId, connectionId, context }: DeleteConnectionCommand): Promise<void> {
    const now = new Date().toISOString();
    await run(this.runner, { type: 'DeleteConnection', tenantId, connectionId, deletedBy: context.actorId, now }, context);
    // The event first, then the key: a key destroyed before a failed append would break a live
    // connection. Destroying again (a retried delete) is harmless, and the key shredder replays
    // every deletion from the log, should this node stop between the two.
    await this.dataKeys.destroy(connectionId, now);
  }
}

@CommandHandler(AccessConnectionCommand)
export class AccessConnectionHandler implements ICommandHandler<AccessConnectionCommand> {
  constructor(
    private readonly runner: CommandRunner,
    private readonly dataKeys: DataKeyService,
  ) {}

  async execute({ principal, connectionId, targetDomain, context, purpose }: AccessConnectionCommand): Promise<AccessedCredential> {
    const now = new Date().toISOString();
    const key = await unwrapped(this.dataKeys, connectionId).catch((error: unknown) => {
      if (error instanceof DataKeyUnavailableError) return null;
      throw error;
    });
    try {
      // The decider decides (tenant, deleted, allowed domain) and the access is on record before
      // any secret is decrypted.
      const { state } = await run(
        this.runner,
        {
          type: 'UseConnectionCredential',
          tenantId: principal.tenantId,
          connectionId,
          targetDomain,
          accessedBy: principal.actor.id,
          actorKind: principal.actor.kind,
          credentialId: principal.credential.id,
          purpose,
          now,
        },
        context,
      );
      const connection = active(state);
      if (!key) throw new Problem('connection-deleted', 'The connection was deleted; its credential is gone.');
      return { connection, secrets: unseal(key, connection.credential.type, connection.secrets), accessedAt: now };
    } finally {
      key?.key.fill(0);
    }
  }
}
