import { Command } from '@nestjs/cqrs';
import {
  AddUserInput,
  ChangeUserRoleInput,
  CreateTenantInput,
  IssuedInvitation,
  IssueInvitationInput,
  UserWithInvitation,
  UserWithToken,
} from '@keyhold/application';
import { Role } from '@keyhold/domain';

/** Dispatches CreateTenant (the CLI's bootstrap). */
export class CreateTenantCommand extends Command<UserWithToken> {
  constructor(readonly input: CreateTenantInput) {
    super();
  }
}

/** Dispatches AddUser. */
export class AddUserCommand extends Command<UserWithInvitation> {
  constructor(readonly input: AddUserInput) {
    super();
  }
}

/** Dispatches ChangeUserRole. */
export class ChangeUserRoleCommand extends Command<{ userId: string; role: Role }> {
  constructor(readonly input: ChangeUserRoleInput) {
    super();
  }
}

/** Dispatches IssueInvitation (a re-issue replaces the previous link). */
export class IssueInvitationCommand extends Command<IssuedInvitation> {
  constructor(readonly input: IssueInvitationInput) {
    super();
  }
}
