import { Module } from '@nestjs/common';
import {
  ChangeServiceAccount,
  CreateServiceAccount,
  GetServiceAccount,
  ListServiceAccountTokens,
  RegisterCommandSigningKey,
  ResetServiceAccountSecret,
} from '@keyhold/application';
import { SecretHasher } from '@keyhold/crypto';
import { EVENT_STORE } from '@keyhold/event-store';
import { KEYHOLD_CONFIG } from '@keyhold/platform';
import { READ_MODEL_STORE } from '@keyhold/read-models';
import { CommandRunner } from '../command-runner';
import { CommandsModule } from '../commands.module';
import { useCaseProvider } from '../use-case-provider';
import { CredentialIndexService } from '../verification/credential-index.service';
import { VerificationModule } from '../verification/verification.module';
import { ServiceAccountsController } from './service-accounts.controller';
import { ChangeServiceAccountHandler, CreateServiceAccountHandler, RegisterCommandSigningKeyHandler, ResetServiceAccountSecretHandler } from './service-accounts.handlers';

@Module({
  imports: [CommandsModule, VerificationModule],
  controllers: [ServiceAccountsController],
  providers: [
    useCaseProvider(CreateServiceAccount, [CommandRunner, SecretHasher, KEYHOLD_CONFIG]),
    useCaseProvider(ResetServiceAccountSecret, [CommandRunner, SecretHasher]),
    useCaseProvider(ChangeServiceAccount, [CommandRunner, CredentialIndexService]),
    useCaseProvider(RegisterCommandSigningKey, [CommandRunner]),
    useCaseProvider(GetServiceAccount, [READ_MODEL_STORE, EVENT_STORE]),
    useCaseProvider(ListServiceAccountTokens, [READ_MODEL_STORE]),
    CreateServiceAccountHandler,
    ResetServiceAccountSecretHandler,
    ChangeServiceAccountHandler,
    RegisterCommandSigningKeyHandler,
  ],
})
export class ServiceAccountsModule {}
