import { CommandBus, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { streamName, TenancyCommand, tenancyAuthorityNeeds, tenancyDecider, tenantIdForSlug, withAuthority } from '@keyhold/domain';
import { CommandRunner } from '../command-runner';
import { RequestContext } from '../http/request-context';
import { IssueTokenCommand } from '../tokens/tokens.commands';
import { AddedUser, AddUserCommand, ChangeUserRoleCommand, CreateTenantCommand, UserWithInvitation, UserWithToken } from './tenancy.commands';
import { IssueInvitationCommand } from '../sign-in/invitations';

/** Runs one tenancy command; nobody gives a user, nor takes from one, a role with more than they hold. */
const runOnTenant = (runner: CommandRunner, tenantId: string, command: TenancyCommand, context: RequestContext) =>
  runner.run(streamName('tenant', tenantId), withAuthority(tenancyDecider, context.caller, tenancyAuthorityNeeds), command, { ...context, tenantId, now: command.now });

const withInitialToken = async (
  commands: CommandBus,
  user: AddedUser,
  label: string,
  context: RequestContext,
): Promise<UserWithToken> => {
  const initialToken = await commands.execute(
    new IssueTokenCommand({ tenantId: user.tenantId, ownerId: user.userId, label, scope: 'read_write', expiresAt: null, idempotencyKey: null, context }),
  );
  return { ...user, initialToken };
};

@CommandHandler(CreateTenantCommand)
export class CreateTenantHandler implements ICommandHandler<CreateTenantCommand> {
  constructor(
    private readonly runner: CommandRunner,
    private readonly commands: CommandBus,
  ) {}

  async execute({ slug, name, adminEmail, context }: CreateTenantCommand): Promise<UserWithToken> {
    const tenantId = tenantIdForSlug(slug);
    const userId = randomUUID();
    const now = new Date().toISOString();
    await runOnTenant(this.runner, tenantId, { type: 'CreateTenant', tenantId, slug, name, firstAdmin: { userId, email: adminEmail }, now }, context);
    const user = { tenantId, userId, email: adminEmail, role: 'admin' as const, addedAt: now };
    return withInitialToken(this.commands, user, 'bootstrap', { ...context, actorId: userId });
  }
}

@CommandHandler(AddUserCommand)
export class AddUserHandler implements ICommandHandler<AddUserCommand> {
  constructor(
    private readonly runner: CommandRunner,
    private readonly commands: CommandBus,
  ) {}

  async execute({ tenantId, email, role, context }: AddUserCommand): Promise<UserWithInvitation> {
    const userId = randomUUID();
    const now = new Date().toISOString();
    await runOnTenant(this.runner, tenantId, { type: 'AddUser', userId, email, role, now }, context);
    const invitation = await this.commands.execute(new IssueInvitationCommand(tenantId, userId, context));
    return { tenantId, userId, email, role, addedAt: now, invitation };
  }
}

@CommandHandler(ChangeUserRoleCommand)
export class ChangeUserRoleHandler implements ICommandHandler<ChangeUserRoleCommand> {
  constructor(private readonly runner: CommandRunner) {}

  async execute({ tenantId, userId, role, context }: ChangeUserRoleCommand) {
    const now = new Date().toISOString();
    await runOnTenant(this.runner, tenantId, { type: 'ChangeUserRole', userId, role, now }, context);
    return { userId, role };
  }
}
