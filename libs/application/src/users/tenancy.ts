import { randomUUID } from 'node:crypto';
import { Role, streamName, TENANCY_EVENTS, TenancyCommand, tenancyAuthorityNeeds, tenancyDecider, tenantIdForSlug, withAuthority } from '@keyhold/domain';
import { EventStore } from '@keyhold/event-store';
import { Page, ReadModelStore, USERS, UserView } from '@keyhold/read-models';
import { ApplicationError } from '../application-error';
import { CommandPipeline, RequestContext, WriteOptions } from '../command-pipeline';
import { IssuedToken, IssuePersonalToken } from '../personal-tokens/issue-token';
import { latestStreamRevision, revisionOf } from '../tenant-resource';
import { IssuedInvitation, IssueInvitation } from './invitations';

export type AddedUser = { readonly tenantId: string; readonly userId: string; readonly email: string; readonly role: Role; readonly addedAt: string };
export type UserWithToken = AddedUser & { readonly initialToken: IssuedToken };
export type UserWithInvitation = AddedUser & { readonly invitation: IssuedInvitation };

/** Runs one tenancy command; nobody gives a user, nor takes from one, a role with more than they hold. */
const runOnTenant = (commands: CommandPipeline, tenantId: string, command: TenancyCommand, context: RequestContext, options?: WriteOptions) =>
  commands.run(streamName('tenant', tenantId), withAuthority(tenancyDecider, context.caller, tenancyAuthorityNeeds), command, { ...context, tenantId, now: command.now }, options);

/** Adds a user under a new id through `command` (CreateTenant's first admin, or AddUser); answers the id and when. */
const addNewUser = async (commands: CommandPipeline, tenantId: string, context: RequestContext, command: (userId: string, now: string) => TenancyCommand) => {
  const userId = randomUUID();
  const now = new Date().toISOString();
  await runOnTenant(commands, tenantId, command(userId, now), context);
  return { userId, now };
};

/** Creates a tenant with its first admin, and that admin's first token (the bootstrap). */
export class CreateTenant {
  constructor(
    private readonly commands: CommandPipeline,
    private readonly issueToken: IssuePersonalToken,
  ) {}

  async execute({ slug, name, adminEmail, context }: CreateTenantInput): Promise<UserWithToken> {
    const tenantId = tenantIdForSlug(slug);
    const { userId, now } = await addNewUser(this.commands, tenantId, context, (userId, now) => ({ type: 'CreateTenant', tenantId, slug, name, firstAdmin: { userId, email: adminEmail }, now }));
    const initialToken = await this.issueToken.execute({
      tenantId,
      ownerId: userId,
      label: 'bootstrap',
      scope: 'read_write',
      expiresAt: null,
      idempotencyKey: null,
      context: { ...context, actorId: userId },
    });
    return { tenantId, userId, email: adminEmail, role: 'admin', addedAt: now, initialToken };
  }
}

export type CreateTenantInput = { readonly slug: string; readonly name: string; readonly adminEmail: string; readonly context: RequestContext };

export type AddUserInput = { readonly tenantId: string; readonly email: string; readonly role: Role; readonly context: RequestContext };

/**
 * Adds a user and issues their invitation: a one-time, expiring link the admin passes on, where
 * the user sets their password and then issues their own tokens. No credential of the user's
 * passes through the admin's hands.
 */
export class AddUser {
  constructor(
    private readonly commands: CommandPipeline,
    private readonly issueInvitation: IssueInvitation,
  ) {}

  async execute({ tenantId, email, role, context }: AddUserInput): Promise<UserWithInvitation> {
    const { userId, now } = await addNewUser(this.commands, tenantId, context, (userId, now) => ({ type: 'AddUser', userId, email, role, now }));
    const invitation = await this.issueInvitation.execute({ tenantId, userId, context });
    return { tenantId, userId, email, role, addedAt: now, invitation };
  }
}

export type ChangeUserRoleInput = {
  readonly tenantId: string;
  readonly userId: string;
  readonly role: Role;
  readonly context: RequestContext;
  /** The tenant stream's revision the caller read the user at (If-Match). */
  readonly expectedRevision?: number;
};

export class ChangeUserRole {
  constructor(private readonly commands: CommandPipeline) {}

  async execute({ tenantId, userId, role, context, expectedRevision }: ChangeUserRoleInput): Promise<{ userId: string; role: Role }> {
    await runOnTenant(this.commands, tenantId, { type: 'ChangeUserRole', userId, role, now: new Date().toISOString() }, context, { expectedRevision });
    return { userId, role };
  }
}

/** A user as tenant admins see them: every field here is safe to show. */
export type UserDetails = { readonly id: string; readonly email: string; readonly role: Role; readonly createdAt: string; readonly updatedAt: string };

const detailsOf = (user: UserView): UserDetails => ({ id: user.id, email: user.email, role: user.role, createdAt: user.createdAt, updatedAt: user.updatedAt });

/** One user of the caller's tenant, and the revision of the tenant stream that holds it (its ETag). */
export class GetUser {
  constructor(
    private readonly readModels: ReadModelStore,
    private readonly events: EventStore,
  ) {}

  async execute({ tenantId, userId }: { readonly tenantId: string; readonly userId: string }): Promise<{ user: UserDetails; revision: number }> {
    const user = await this.readModels.collection<UserView>(USERS).get(userId);
    if (!user || user.tenantId !== tenantId) throw ApplicationError.notFound('User not found.');
    const kept = await latestStreamRevision<UserView>(this.readModels, USERS, { tenantId });
    const revision = await revisionOf(kept, this.events, streamName('tenant', tenantId), tenancyDecider, TENANCY_EVENTS, 'User not found.');
    return { user: detailsOf(user), revision };
  }
}

/** The users of the caller's tenant, oldest first. */
export class ListUsers {
  constructor(private readonly readModels: ReadModelStore) {}

  async execute({ tenantId, limit, cursor }: { readonly tenantId: string; readonly limit: number; readonly cursor: string | null }): Promise<Page<UserDetails>> {
    const page = await this.readModels.collection<UserView>(USERS).list({ where: { tenantId }, orderBy: 'createdAt', direction: 'asc', limit, cursor });
    return { items: page.items.map(detailsOf), nextCursor: page.nextCursor };
  }
}
