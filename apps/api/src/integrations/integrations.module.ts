import { Module } from '@nestjs/common';
import { CommandsModule } from '../commands.module';
import { PasswordsModule } from '../users/passwords.module';
import { NodeOutboundHttp, OUTBOUND_HTTP } from '../outbound/outbound-http';
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
  imports: [CommandsModule, PasswordsModule, VerificationModule],
  controllers: [IntegrationsController, OAuth1Controller],
  providers: [
    { provide: OUTBOUND_HTTP, useClass: NodeOutboundHttp },
    IntegrationCallback,
    CreateIntegrationHandler, ActivateIntegrationHandler, ReauthorizeIntegrationHandler, DeleteIntegrationHandler, ChangeTenantSettingsHandler],
})
export class IntegrationsModule {}
