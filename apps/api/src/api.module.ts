import { Module } from '@nestjs/common';
import { GetPersonalToken, GetUser, ListPersonalTokens, ListUsers, RevokePersonalToken } from '@keyhold/application';
import { EVENT_STORE } from '@keyhold/event-store';
import { READ_MODEL_STORE } from '@keyhold/read-models';
import { CommandRunner } from './command-runner';
import { dispatchedUseCase, useCaseProvider } from './use-case-provider';
import { CredentialIndexService } from './verification/credential-index.service';
import { PersonalTokenIndex } from './verification/personal-token-index';
import { UsageRecorder } from './verification/usage-recorder';
import { HealthController } from './health/health.controller';
import { CommandsModule } from './commands.module';
import { RevokeTokenCommand } from './tokens/tokens.commands';
import { TokensController } from './tokens/tokens.controller';
import { TokenIssuance } from './tokens/token-issuance';
import { IssueTokenFastPath } from './tokens/issue-token-fast-path';
import { UsersController } from './users/users.controller';
import { VerificationModule } from './verification/verification.module';
import { OAuthModule } from './oauth/oauth.module';
import { ServiceAccountsModule } from './service-accounts/service-accounts.module';
import { ConnectionsModule } from './connections/connections.module';
import { IntegrationsModule } from './integrations/integrations.module';
import { PasswordsModule } from './users/passwords.module';
import { ApiClientsModule } from './api-clients/api-clients.module';
import { HistoryModule } from './history/history.module';
import { MetricsModule } from './observability/metrics.controller';
import { SignInModule } from './sign-in/sign-in.module';
import { ConsoleController } from './console/console.controller';

/** The REST and OAuth API, and the commands that need this node's credential index. */
@Module({
  imports: [CommandsModule, VerificationModule, OAuthModule, ServiceAccountsModule, ConnectionsModule, IntegrationsModule, PasswordsModule, ApiClientsModule, HistoryModule, MetricsModule, SignInModule],
  controllers: [TokensController, UsersController, HealthController, ConsoleController],
  providers: [
    TokenIssuance,
    IssueTokenFastPath,
    ...dispatchedUseCase(RevokeTokenCommand, RevokePersonalToken, [CommandRunner, PersonalTokenIndex, CredentialIndexService]),
    useCaseProvider(GetPersonalToken, [READ_MODEL_STORE, UsageRecorder, EVENT_STORE]),
    useCaseProvider(ListPersonalTokens, [READ_MODEL_STORE, UsageRecorder]),
    useCaseProvider(GetUser, [READ_MODEL_STORE, EVENT_STORE]),
    useCaseProvider(ListUsers, [READ_MODEL_STORE]),
  ],
})
export class ApiModule {}
