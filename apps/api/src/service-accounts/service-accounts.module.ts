import { Module } from '@nestjs/common';
import { CommandsModule } from '../commands.module';
import { VerificationModule } from '../verification/verification.module';
import { ServiceAccountsController } from './service-accounts.controller';
import { ChangeServiceAccountHandler, CreateServiceAccountHandler, ResetServiceAccountSecretHandler } from './service-accounts.handlers';

@Module({
  imports: [CommandsModule, VerificationModule],
  controllers: [ServiceAccountsController],
  providers: [CreateServiceAccountHandler, ResetServiceAccountSecretHandler, ChangeServiceAccountHandler],
})
export class ServiceAccountsModule {}
