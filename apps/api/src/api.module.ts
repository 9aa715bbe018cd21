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

/** The commands that need nothing but the event store: what the CLI runs too. */
@Module({
  imports: [CqrsModule.forRoot()],
  providers: [IssueTokenHandler, CreateTenantHandler, AddUserHandler, ChangeUserRoleHandler, ReadYourWrites],
  exports: [CqrsModule, ReadYourWrites],
})
export class CommandsModule {}

/** The REST and OAuth API, and the commands that need this node's credential index. */
@Module({
  imports: [CommandsModule, VerificationModule],
  controllers: [TokensController, UsersController, HealthController],
  providers: [TokensQuery, RevokeTokenHandler],
})
export class ApiModule {}
