import { Module } from '@nestjs/common';
import { CommandsModule } from '../commands.module';
import { SignInModule } from '../sign-in/sign-in.module';
import { AuthorizeController } from './authorize.controller';
import { PeopleClients } from './people-clients';
import { PeopleGrants } from './people-grants';
import { PeopleTokenEndpoint } from './people-token-endpoint';
import { OidcSigning } from './oidc';

/** OAuth 2.0 for people: the authorization endpoint, consent, and the token grants behind /oauth/token. */
@Module({
  imports: [CommandsModule, SignInModule],
  controllers: [AuthorizeController],
  providers: [PeopleClients, PeopleGrants, PeopleTokenEndpoint, OidcSigning],
  exports: [PeopleTokenEndpoint, OidcSigning],
})
export class PeopleOAuthModule {}
