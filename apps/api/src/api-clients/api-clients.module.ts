import { Module } from '@nestjs/common';
import { AddClientSecret, ChangeApiClient, CreateApiClient, GetApiClient, ListApiClientTokens, ListClientSecrets } from '@keyhold/application';
import { SecretHasher } from '@keyhold/crypto';
import { EVENT_STORE } from '@keyhold/event-store';
import { KEYHOLD_CONFIG } from '@keyhold/platform';
import { READ_MODEL_STORE } from '@keyhold/read-models';
import { CommandRunner } from '../command-runner';
import { CommandsModule } from '../commands.module';
import { AddClientSecretCommand, ChangeApiClientCommand, CreateApiClientCommand } from './api-clients.commands';
import { dispatchedUseCase, useCaseProvider } from '../use-case-provider';
import { CredentialIndexService } from '../verification/credential-index.service';
import { UsageRecorder } from '../verification/usage-recorder';
import { VerificationModule } from '../verification/verification.module';
import { ApiClientsController } from './api-clients.controller';
import { ClientSecretsController } from './client-secrets.controller';
import { ExpiringClientSecrets } from './expiring-client-secrets';

@Module({
  imports: [CommandsModule, VerificationModule],
  controllers: [ApiClientsController, ClientSecretsController],
  providers: [
    ...dispatchedUseCase(CreateApiClientCommand, CreateApiClient, [CommandRunner, EVENT_STORE, SecretHasher, KEYHOLD_CONFIG]),
    ...dispatchedUseCase(AddClientSecretCommand, AddClientSecret, [CommandRunner, EVENT_STORE, SecretHasher, KEYHOLD_CONFIG]),
    ...dispatchedUseCase(ChangeApiClientCommand, ChangeApiClient, [CommandRunner, CredentialIndexService]),
    useCaseProvider(GetApiClient, [READ_MODEL_STORE, EVENT_STORE]),
    useCaseProvider(ListClientSecrets, [READ_MODEL_STORE, UsageRecorder]),
    useCaseProvider(ListApiClientTokens, [READ_MODEL_STORE]),
    ExpiringClientSecrets,
  ],
})
export class ApiClientsModule {}
