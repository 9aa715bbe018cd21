import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { BearerAuthGuard } from '../http/auth';
import { GuestAccess } from '../http/guest-access';
import { CREDENTIAL_KIND_INDEXES } from './credential-kind-index';
import { CredentialIndexService } from './credential-index.service';
import { EarlyDenials } from './early-denials';
import { Introspection, IntrospectionController } from './introspection.controller';
import { IntrospectionFastPath } from './introspection-fast-path';
import { OAuthIndex } from './oauth-index';
import { PersonalTokenIndex } from './personal-token-index';
import { ReadModelConfirmation } from './read-model-confirmation';
import { RevocationFeed } from './revocation-feed';
import { UsageRecorder } from './usage-recorder';
import { UserGrantIndex } from './user-grant-index';
import { IntegrationTokenIndex } from '../integrations/integration-token-index';
import { IntegrationSecrets } from '@keyhold/application';
import { SecretHasher } from '@keyhold/crypto';
import { DataKeyService } from '@keyhold/key-store';
import { useCaseProvider } from '../use-case-provider';
import { NonceCache } from '../integrations/oauth1/nonce-cache';
import { OAuth1Signatures } from '../integrations/oauth1/oauth1-signatures';
import { SignedCalls } from '../integrations/oauth1/signed-calls';

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
    Introspection,
    IntrospectionFastPath,
    UsageRecorder,
    useCaseProvider(IntegrationSecrets, [SecretHasher, DataKeyService]),
    NonceCache,
    OAuth1Signatures,
    SignedCalls,
    GuestAccess,
    BearerAuthGuard,
    /** Every route's guard; the same instance serves the routes that authorize themselves (metrics). */
    { provide: APP_GUARD, useExisting: BearerAuthGuard },
  ],
  exports: [BearerAuthGuard, CredentialIndexService, PersonalTokenIndex, OAuthIndex, UsageRecorder, RevocationFeed, IntegrationTokenIndex, IntegrationSecrets, OAuth1Signatures, GuestAccess],
})
export class VerificationModule {}
