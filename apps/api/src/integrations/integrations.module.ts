import { Module } from '@nestjs/common';
import { CommandsModule } from '../commands.module';
import { PasswordsModule } from '../users/passwords.module';
import { IntegrationsController } from './integrations.controller';
import {
  ActivateIntegrationHandler,
  ChangeTenantSettingsHandler,
  CreateIntegrationHandler,
  DeleteIntegrationHandler,
  ReauthorizeIntegrationHandler,
} from './integrations.handlers';

@Module({
  imports: [CommandsModule, PasswordsModule],
  controllers: [IntegrationsController],
  providers: [CreateIntegrationHandler, ActivateIntegrationHandler, ReauthorizeIntegrationHandler, DeleteIntegrationHandler, ChangeTenantSettingsHandler],
})
export class IntegrationsModule {}
