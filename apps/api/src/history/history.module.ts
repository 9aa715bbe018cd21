import { Module } from '@nestjs/common';
import { HistoryController } from './history.controller';
import { HistoryQuery } from './history.query';

@Module({
  controllers: [HistoryController],
  providers: [HistoryQuery],
})
export class HistoryModule {}
