import { Module } from '@nestjs/common';
import { CommandsModule } from '../commands.module';
import { VerificationModule } from '../verification/verification.module';
import { ApiClientsController } from './api-clients.controller';
import { ClientSecretsController } from './client-secrets.controller';
import { ExpiringClientSecrets } from './expiring-client-secrets';
import { AddClientSecretHandler, ChangeApiClientHandler, CreateApiClientHandler } from './api-clients.handlers';

@Module({
  imports: [CommandsModule, VerificationModule],
  controllers: [ApiClientsController, ClientSecretsController],
  providers: [CreateApiClientHandler, AddClientSecretHandler, ChangeApiClientHandler, ExpiringClientSecrets],
})
export class ApiClientsModule {}
