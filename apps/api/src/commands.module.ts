import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { IssuePersonalToken } from '@keyhold/application';
import { SecretHasher } from '@keyhold/crypto';
import { EVENT_STORE } from '@keyhold/event-store';
import { CommandRunner } from './command-runner';
import { ReadYourWrites } from './read-your-writes';
import { useCaseProvider } from './use-case-provider';
import { IssueTokenHandler } from './tokens/tokens.handlers';
import { IssueInvitationHandler } from './sign-in/invitations';
import { AddUserHandler, ChangeUserRoleHandler, CreateTenantHandler } from './users/tenancy.handlers';

/** The commands that need nothing but the event store: what the CLI runs too. */
@Module({
  imports: [CqrsModule.forRoot()],
  providers: [useCaseProvider(IssuePersonalToken, [CommandRunner, EVENT_STORE, SecretHasher]), IssueTokenHandler, CreateTenantHandler, AddUserHandler, ChangeUserRoleHandler, IssueInvitationHandler, ReadYourWrites, CommandRunner],
  exports: [CqrsModule, ReadYourWrites, CommandRunner],
})
export class CommandsModule {}
