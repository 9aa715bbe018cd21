import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { BearerAuthGuard } from '../http/auth';
import { CredentialIndexService } from './credential-index.service';
import { IntrospectionController } from './introspection.controller';
import { UsageRecorder } from './usage-recorder';

@Module({
  controllers: [IntrospectionController],
  providers: [CredentialIndexService, UsageRecorder, { provide: APP_GUARD, useClass: BearerAuthGuard }],
  exports: [CredentialIndexService, UsageRecorder],
})
export class VerificationModule {}
