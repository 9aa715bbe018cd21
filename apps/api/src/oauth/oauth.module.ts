import { Module } from '@nestjs/common';
import { CommandsModule } from '../commands.module';
import { VerificationModule } from '../verification/verification.module';
import { PeopleOAuthModule } from '../people-oauth/people-oauth.module';
import { ClientAuthThrottle } from './client-auth-throttle';
import { ClientAuthentication } from './client-authentication';
import { OAuthController } from './oauth.controller';
import { IssueAccessTokenHandler, RevokeAccessTokenHandler } from './oauth.handlers';
import { TokenEndpoint } from './token-endpoint';
import { TokenFastPath } from './token-fast-path';

@Module({
  imports: [CommandsModule, VerificationModule, PeopleOAuthModule],
  controllers: [OAuthController],
  providers: [ClientAuthThrottle, ClientAuthentication, TokenEndpoint, TokenFastPath, IssueAccessTokenHandler, RevokeAccessTokenHandler],
})
export class OAuthModule {}
