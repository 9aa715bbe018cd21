import { Module } from '@nestjs/common';
import { CredentialStateAt, ExportHistory, ListHistory } from '@keyhold/application';
import { EVENT_STORE } from '@keyhold/event-store';
import { READ_MODEL_STORE } from '@keyhold/read-models';
import { ExpiringClientSecrets } from '../api-clients/expiring-client-secrets';
import { useCaseProvider } from '../use-case-provider';
import { HistoryController } from './history.controller';

@Module({
  controllers: [HistoryController],
  providers: [
    useCaseProvider(ListHistory, [READ_MODEL_STORE]),
    useCaseProvider(ExportHistory, [READ_MODEL_STORE]),
    useCaseProvider(CredentialStateAt, [READ_MODEL_STORE, EVENT_STORE]),
    ExpiringClientSecrets,
  ],
})
export class HistoryModule {}
