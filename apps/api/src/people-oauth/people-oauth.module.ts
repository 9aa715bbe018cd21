import { Module } from '@nestjs/common';
import { CommandsModule } from '../commands.module';
import { SignInModule } from '../sign-in/sign-in.module';
import { AuthorizeController } from './authorize.controller';
import { GetUserInfo, PeopleClients, PeopleGrants } from '@keyhold/application';
import { SecretHasher } from '@keyhold/crypto';
import { EVENT_STORE } from '@keyhold/event-store';
import { KEYHOLD_CONFIG } from '@keyhold/platform';
import { READ_MODEL_STORE } from '@keyhold/read-models';
import { CommandRunner } from '../command-runner';
import { useCaseProvider } from '../use-case-provider';
import { PeopleTokenEndpoint } from './people-token-endpoint';
import { OidcSigning } from './oidc';

/** OAuth 2.0 for people: the authorization endpoint, consent, and the token grants behind /oauth/token. */
@Module({
  imports: [CommandsModule, SignInModule],
  controllers: [AuthorizeController],
  providers: [
    useCaseProvider(PeopleClients, [EVENT_STORE]),
    useCaseProvider(PeopleGrants, [CommandRunner, SecretHasher, EVENT_STORE, KEYHOLD_CONFIG]),
    useCaseProvider(GetUserInfo, [READ_MODEL_STORE]),
    PeopleTokenEndpoint,
    OidcSigning,
  ],
  exports: [PeopleTokenEndpoint, OidcSigning],
})
export class PeopleOAuthModule {}
