import { Module } from '@nestjs/common';
import { CommandsModule } from '../commands.module';
import { ConnectionsController } from './connections.controller';
import { AccessConnectionHandler, CreateConnectionHandler, DeleteConnectionHandler, UpdateConnectionHandler } from './connections.handlers';
import { ConnectionsQuery } from './connections.query';

@Module({
  imports: [CommandsModule],
  controllers: [ConnectionsController],
  providers: [CreateConnectionHandler, UpdateConnectionHandler, DeleteConnectionHandler, AccessConnectionHandler, ConnectionsQuery],
})
export class ConnectionsModule {}
