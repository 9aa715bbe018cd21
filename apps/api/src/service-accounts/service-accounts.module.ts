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
import { ChangeServiceAccountCommand, CreateServiceAccountCommand, RegisterCommandSigningKeyCommand, ResetServiceAccountSecretCommand } from './service-accounts.commands';
import { dispatchedUseCase, useCaseProvider } from '../use-case-provider';
import { CredentialIndexService } from '../verification/credential-index.service';
import { VerificationModule } from '../verification/verification.module';
import { ServiceAccountsController } from './service-accounts.controller';

@Module({
  imports: [CommandsModule, VerificationModule],
  controllers: [ServiceAccountsController],
  providers: [
    ...dispatchedUseCase(CreateServiceAccountCommand, CreateServiceAccount, [CommandRunner, SecretHasher, KEYHOLD_CONFIG]),
    ...dispatchedUseCase(ResetServiceAccountSecretCommand, ResetServiceAccountSecret, [CommandRunner, SecretHasher]),
    ...dispatchedUseCase(ChangeServiceAccountCommand, ChangeServiceAccount, [CommandRunner, CredentialIndexService]),
    ...dispatchedUseCase(RegisterCommandSigningKeyCommand, RegisterCommandSigningKey, [CommandRunner]),
    useCaseProvider(GetServiceAccount, [READ_MODEL_STORE, EVENT_STORE]),
    useCaseProvider(ListServiceAccountTokens, [READ_MODEL_STORE]),
  ],
})
export class ServiceAccountsModule {}
