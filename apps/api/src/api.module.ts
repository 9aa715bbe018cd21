import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { HealthController } from './health/health.controller';
import { ReadYourWrites } from './read-your-writes';
import { IssueTokenHandler, RevokeTokenHandler } from './tokens/tokens.handlers';
import { TokensController } from './tokens/tokens.controller';
import { TokensQuery } from './tokens/tokens.query';
import { AddUserHandler, ChangeUserRoleHandler, CreateTenantHandler } from './users/tenancy.handlers';
import { UsersController } from './users/users.controller';
import { VerificationModule } from './verification/verification.module';

export const COMMAND_HANDLERS = [IssueTokenHandler, RevokeTokenHandler, CreateTenantHandler, AddUserHandler, ChangeUserRoleHandler];

/** The command side without HTTP: what the CLI and any other in-process caller need. */
@Module({
  imports: [CqrsModule.forRoot()],
  providers: [...COMMAND_HANDLERS, ReadYourWrites],
  exports: [CqrsModule],
})
export class CommandsModule {}

/** The REST and OAuth API. */
@Module({
  imports: [CommandsModule, VerificationModule],
  controllers: [TokensController, UsersController, HealthController],
  providers: [TokensQuery],
})
export class ApiModule {}
