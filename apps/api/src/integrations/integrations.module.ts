import { Module } from '@nestjs/common';
import { CommandsModule } from '../commands.module';
import { PasswordsModule } from '../users/passwords.module';
import { OutboundModule } from '../outbound/outbound.module';
import { VerificationModule } from '../verification/verification.module';
import { IntegrationCallback } from './integration-callback';
import { OAuth1Controller } from './oauth1/oauth1.controller';
import { IntegrationsController } from './integrations.controller';
import {
  ActivateIntegrationHandler,
  ChangeTenantSettingsHandler,
  CreateIntegrationHandler,
  DeleteIntegrationHandler,
  ReauthorizeIntegrationHandler,
} from './integrations.handlers';

@Module({
  imports: [CommandsModule, PasswordsModule, VerificationModule, OutboundModule],
  controllers: [IntegrationsController, OAuth1Controller],
  providers: [
    IntegrationCallback,
    CreateIntegrationHandler, ActivateIntegrationHandler, ReauthorizeIntegrationHandler, DeleteIntegrationHandler, ChangeTenantSettingsHandler],
})
export class IntegrationsModule {}
