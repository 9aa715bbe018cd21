import { Module } from '@nestjs/common';
import {
  ActivateIntegration,
  ChangeTenantSettings,
  ConfirmIntegrationActivation,
  ConfirmUserPassword,
  CreateIntegration,
  DeleteIntegration,
  ExchangeIntegrationRequestToken,
  GetIntegration,
  GetTenantSettings,
  IntegrationCallback,
  IntegrationSecrets,
  IssueIntegrationRequestToken,
  ListIntegrations,
  ReauthorizeIntegration,
} from '@keyhold/application';
import { EVENT_STORE } from '@keyhold/event-store';
import { KEYHOLD_CONFIG } from '@keyhold/platform';
import { READ_MODEL_STORE } from '@keyhold/read-models';
import { CommandRunner } from '../command-runner';
import { CommandsModule } from '../commands.module';
import { OUTBOUND_HTTP } from '../outbound/outbound-http';
import { OutboundModule } from '../outbound/outbound.module';
import { dispatchedUseCase, useCaseProvider } from '../use-case-provider';
import { PasswordsModule } from '../users/passwords.module';
import { VerificationModule } from '../verification/verification.module';
import { IntegrationTokenIndex } from './integration-token-index';
import { OAuth1Controller } from './oauth1/oauth1.controller';
import { IntegrationsController } from './integrations.controller';
import {
  ActivateIntegrationCommand,
  ChangeTenantSettingsCommand,
  CreateIntegrationCommand,
  DeleteIntegrationCommand,
  ReauthorizeIntegrationCommand,
} from './integrations.commands';

@Module({
  imports: [CommandsModule, PasswordsModule, VerificationModule, OutboundModule],
  controllers: [IntegrationsController, OAuth1Controller],
  providers: [
    useCaseProvider(IntegrationCallback, [CommandRunner, OUTBOUND_HTTP]),
    ...dispatchedUseCase(CreateIntegrationCommand, CreateIntegration, [CommandRunner, ConfirmUserPassword]),
    ...dispatchedUseCase(ActivateIntegrationCommand, ActivateIntegration, [CommandRunner, IntegrationSecrets, IntegrationCallback]),
    ...dispatchedUseCase(ReauthorizeIntegrationCommand, ReauthorizeIntegration, [CommandRunner, IntegrationSecrets, ConfirmUserPassword]),
    ...dispatchedUseCase(DeleteIntegrationCommand, DeleteIntegration, [CommandRunner, IntegrationSecrets]),
    useCaseProvider(GetIntegration, [READ_MODEL_STORE, EVENT_STORE]),
    useCaseProvider(ListIntegrations, [READ_MODEL_STORE]),
    useCaseProvider(GetTenantSettings, [READ_MODEL_STORE]),
    ...dispatchedUseCase(ChangeTenantSettingsCommand, ChangeTenantSettings, [CommandRunner, GetTenantSettings, KEYHOLD_CONFIG]),
    useCaseProvider(IssueIntegrationRequestToken, [CommandRunner, EVENT_STORE, IntegrationTokenIndex, IntegrationSecrets]),
    useCaseProvider(ExchangeIntegrationRequestToken, [CommandRunner, EVENT_STORE, IntegrationTokenIndex, IntegrationSecrets]),
    useCaseProvider(ConfirmIntegrationActivation, [CommandRunner, IntegrationSecrets]),
  ],
})
export class IntegrationsModule {}
