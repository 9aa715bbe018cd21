import { Command } from '@nestjs/cqrs';
import { Role } from '@keyhold/domain';
import { RequestContext } from '../http/request-context';
import { IssuedToken } from '../tokens/tokens.commands';

export type UserWithToken = { tenantId: string; userId: string; email: string; role: Role; addedAt: string; initialToken: IssuedToken };

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
 * Adds a user and issues their first token, handed to the admin to pass on: until users can
 * sign in themselves, this is how a user gets a credential. It carries the user's rights, not
 * the admin's.
 */
export class AddUserCommand extends Command<UserWithToken> {
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
