import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { AddUser, ChangeUserRole, CreateTenant, IssueInvitation, IssuePersonalToken } from '@keyhold/application';
import { SecretHasher } from '@keyhold/crypto';
import { EVENT_STORE } from '@keyhold/event-store';
import { CommandRunner } from './command-runner';
import { ReadYourWrites } from './read-your-writes';
import { IssueTokenCommand } from './tokens/tokens.commands';
import { dispatchedUseCase } from './use-case-provider';
import { AddUserCommand, ChangeUserRoleCommand, CreateTenantCommand, IssueInvitationCommand } from './users/tenancy.commands';

/** The commands that need nothing but the event store: what the CLI runs too. */
@Module({
  imports: [CqrsModule.forRoot()],
  providers: [
    ReadYourWrites,
    CommandRunner,
    ...dispatchedUseCase(IssueTokenCommand, IssuePersonalToken, [CommandRunner, EVENT_STORE, SecretHasher]),
    ...dispatchedUseCase(IssueInvitationCommand, IssueInvitation, [CommandRunner, EVENT_STORE, SecretHasher]),
    ...dispatchedUseCase(CreateTenantCommand, CreateTenant, [CommandRunner, IssuePersonalToken]),
    ...dispatchedUseCase(AddUserCommand, AddUser, [CommandRunner, IssueInvitation]),
    ...dispatchedUseCase(ChangeUserRoleCommand, ChangeUserRole, [CommandRunner]),
  ],
  exports: [CqrsModule, ReadYourWrites, CommandRunner],
})
export class CommandsModule {}
