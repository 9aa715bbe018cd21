import { Module } from '@nestjs/common';
import { CommandsModule } from '../commands.module';
import { OutboundModule } from '../outbound/outbound.module';
import { ConnectionAccessTokens } from './connection-access-tokens';
import { ConnectionsController } from './connections.controller';
import { AccessConnectionHandler, CreateConnectionHandler, DeleteConnectionHandler, UpdateConnectionHandler } from './connections.handlers';
import { ConnectionsQuery } from './connections.query';

@Module({
  imports: [CommandsModule, OutboundModule],
  controllers: [ConnectionsController],
  providers: [ConnectionAccessTokens, CreateConnectionHandler, UpdateConnectionHandler, DeleteConnectionHandler, AccessConnectionHandler, ConnectionsQuery],
})
export class ConnectionsModule {}
