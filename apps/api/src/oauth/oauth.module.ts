import { Module } from '@nestjs/common';
import { IssueAccessToken, RevokeAccessToken } from '@keyhold/application';
import { KEYHOLD_CONFIG } from '@keyhold/platform';
import { CommandRunner } from '../command-runner';
import { dispatchedUseCase } from '../use-case-provider';
import { CredentialIndexService } from '../verification/credential-index.service';
import { OAuthIndex } from '../verification/oauth-index';
import { CommandsModule } from '../commands.module';
import { VerificationModule } from '../verification/verification.module';
import { PeopleOAuthModule } from '../people-oauth/people-oauth.module';
import { ClientAuthThrottle } from './client-auth-throttle';
import { ClientAuthentication } from './client-authentication';
import { OAuthController } from './oauth.controller';
import { IssueAccessTokenCommand, RevokeAccessTokenCommand } from './oauth.commands';
import { TokenEndpoint } from './token-endpoint';
import { TokenFastPath } from './token-fast-path';

@Module({
  imports: [CommandsModule, VerificationModule, PeopleOAuthModule],
  controllers: [OAuthController],
  providers: [
    ClientAuthThrottle,
    ClientAuthentication,
    TokenEndpoint,
    TokenFastPath,
    ...dispatchedUseCase(IssueAccessTokenCommand, IssueAccessToken, [CommandRunner, OAuthIndex, KEYHOLD_CONFIG]),
    ...dispatchedUseCase(RevokeAccessTokenCommand, RevokeAccessToken, [CommandRunner, CredentialIndexService]),
  ],
})
export class OAuthModule {}
