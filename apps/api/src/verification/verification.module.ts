import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { BearerAuthGuard } from '../http/auth';
import { CREDENTIAL_KIND_INDEXES } from './credential-kind-index';
import { CredentialIndexService } from './credential-index.service';
import { EarlyDenials } from './early-denials';
import { IntrospectionController } from './introspection.controller';
import { OAuthIndex } from './oauth-index';
import { PersonalTokenIndex } from './personal-token-index';
import { ReadModelConfirmation } from './read-model-confirmation';
import { RevocationFeed } from './revocation-feed';
import { UsageRecorder } from './usage-recorder';
import { UserGrantIndex } from './user-grant-index';
import { IntegrationTokenIndex } from '../integrations/integration-token-index';

@Module({
  controllers: [IntrospectionController],
  providers: [
    PersonalTokenIndex,
    OAuthIndex,
    IntegrationTokenIndex,
    UserGrantIndex,
    /** Each credential kind's index; a new kind adds its class here. */
    { provide: CREDENTIAL_KIND_INDEXES, useFactory: (...indexes) => indexes, inject: [PersonalTokenIndex, OAuthIndex, IntegrationTokenIndex, UserGrantIndex] },
    EarlyDenials,
    RevocationFeed,
    ReadModelConfirmation,
    CredentialIndexService,
    UsageRecorder,
    { provide: APP_GUARD, useClass: BearerAuthGuard },
  ],
  exports: [CredentialIndexService, PersonalTokenIndex, OAuthIndex, UsageRecorder, RevocationFeed],
})
export class VerificationModule {}
