import { Inject } from '@nestjs/common';
import { CommandBus, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { streamName, tenancyDecider, TenancyCommand, tenantIdForSlug } from '@keyhold/domain';
import { CommandContext, EVENT_STORE, EventStore, handleCommand } from '@keyhold/event-store';
import { RejectionError } from '../http/rejection-error';
import { RequestContext } from '../http/request-context';
import { ReadYourWrites } from '../read-your-writes';
import { IssueTokenCommand } from '../tokens/tokens.commands';
import { AddUserCommand, ChangeUserRoleCommand, CreateTenantCommand, UserWithToken } from './tenancy.commands';

/** Runs a tenancy command on the tenant's stream and fails with the domain's refusal, if any. */
const runTenancyCommand = async (events: EventStore, tenantId: string, command: TenancyCommand, context: CommandContext) => {
  const result = await handleCommand(events, streamName('tenant', tenantId), tenancyDecider, command, context);
  if (result.outcome === 'rejected') throw new RejectionError(result.rejection);
  return result;
};

const withInitialToken = async (
  commands: CommandBus,
  user: Omit<UserWithToken, 'initialToken'>,
  label: string,
  context: RequestContext,
): Promise<UserWithToken> => {
  const initialToken = await commands.execute(
    new IssueTokenCommand(user.tenantId, user.userId, label, 'read_write', null, null, context),
  );
  return { ...user, initialToken };
};

@CommandHandler(CreateTenantCommand)
export class CreateTenantHandler implements ICommandHandler<CreateTenantCommand> {
  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    private readonly commands: CommandBus,
    private readonly readYourWrites: ReadYourWrites,
  ) {}

  async execute({ slug, name, adminEmail, context }: CreateTenantCommand): Promise<UserWithToken> {
    const tenantId = tenantIdForSlug(slug);
    const userId = randomUUID();
    const now = new Date().toISOString();
    const result = await runTenancyCommand(
      this.events,
      tenantId,
      { type: 'CreateTenant', tenantId, slug, name, firstAdmin: { userId, email: adminEmail }, now },
      { ...context, actorId: context.actorId, tenantId, now },
    );
    await this.readYourWrites.await(result.position);
    const user = { tenantId, userId, email: adminEmail, role: 'admin' as const, addedAt: now };
    return withInitialToken(this.commands, user, 'bootstrap', { ...context, actorId: userId });
  }
}

@CommandHandler(AddUserCommand)
export class AddUserHandler implements ICommandHandler<AddUserCommand> {
  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    private readonly commands: CommandBus,
    private readonly readYourWrites: ReadYourWrites,
  ) {}

  async execute({ tenantId, email, role, context }: AddUserCommand): Promise<UserWithToken> {
    const userId = randomUUID();
    const now = new Date().toISOString();
    const result = await runTenancyCommand(this.events, tenantId, { type: 'AddUser', userId, email, role, now }, { ...context, tenantId, now });
    await this.readYourWrites.await(result.position);
    return withInitialToken(this.commands, { tenantId, userId, email, role, addedAt: now }, 'initial', context);
  }
}

@CommandHandler(ChangeUserRoleCommand)
export class ChangeUserRoleHandler implements ICommandHandler<ChangeUserRoleCommand> {
  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    private readonly readYourWrites: ReadYourWrites,
  ) {}

  async execute({ tenantId, userId, role, context }: ChangeUserRoleCommand) {
    const now = new Date().toISOString();
    const result = await runTenancyCommand(this.events, tenantId, { type: 'ChangeUserRole', userId, role, now }, { ...context, tenantId, now });
    await this.readYourWrites.await(result.position);
    return { userId, role };
  }
}
