import { Command } from '@nestjs/cqrs';
import { Role } from '@keyhold/domain';
import { RequestContext } from '../http/request-context';
import { IssuedToken } from '@keyhold/application';
import { IssuedInvitation } from '../sign-in/invitations';

export type AddedUser = { tenantId: string; userId: string; email: string; role: Role; addedAt: string };
export type UserWithToken = AddedUser & { initialToken: IssuedToken };
export type UserWithInvitation = AddedUser & { invitation: IssuedInvitation };

/** Creates a tenant with its first admin, and that admin's first token. */
export class CreateTenantCommand extends Command<UserWithToken> {
  constructor(
    readonly slug: string,
    readonly name: string,
    readonly adminEmail: string,
    readonly context: RequestContext,
  ) {
    super();
  }
}

/**
 * Adds a user and issues their invitation: a one-time, expiring link the admin passes on, where
 * the user sets their password and then issues their own tokens. No credential of the user's
 * passes through the admin's hands.
 */
export class AddUserCommand extends Command<UserWithInvitation> {
  constructor(
    readonly tenantId: string,
    readonly email: string,
    readonly role: Role,
    readonly context: RequestContext,
  ) {
    super();
  }
}

export class ChangeUserRoleCommand extends Command<{ userId: string; role: Role }> {
  constructor(
    readonly tenantId: string,
    readonly userId: string,
    readonly role: Role,
    readonly context: RequestContext,
  ) {
    super();
  }
}
