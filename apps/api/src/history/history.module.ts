import { Module } from '@nestjs/common';
import { ExpiringClientSecrets } from '../api-clients/expiring-client-secrets';
import { HistoryController } from './history.controller';
import { HistoryQuery } from './history.query';

@Module({
  controllers: [HistoryController],
  providers: [HistoryQuery, ExpiringClientSecrets],
})
export class HistoryModule {}
