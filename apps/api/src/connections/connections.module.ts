import { Module } from '@nestjs/common';
import {
  AccessConnection,
  ConnectionAccessTokens,
  CreateConnection,
  DeleteConnection,
  GetConnection,
  GetOAuthClient,
  ListConnections,
  ListOAuthClients,
  UpdateConnection,
  UpdateOAuthClient,
} from '@keyhold/application';
import { DataKeyService } from '@keyhold/key-store';
import { EVENT_STORE } from '@keyhold/event-store';
import { KEYHOLD_CONFIG } from '@keyhold/platform';
import { READ_MODEL_STORE } from '@keyhold/read-models';
import { CommandRunner } from '../command-runner';
import { CommandsModule } from '../commands.module';
import { OUTBOUND_HTTP } from '../outbound/outbound-http';
import { OutboundModule } from '../outbound/outbound.module';
import { dispatchedUseCase, useCaseProvider } from '../use-case-provider';
import { ConnectionsController } from './connections.controller';
import { AccessConnectionCommand, CreateConnectionCommand, DeleteConnectionCommand, UpdateConnectionCommand, UpdateOAuthClientCommand } from './connections.commands';

@Module({
  imports: [CommandsModule, OutboundModule],
  controllers: [ConnectionsController],
  providers: [
    useCaseProvider(ConnectionAccessTokens, [CommandRunner, OUTBOUND_HTTP]),
    ...dispatchedUseCase(CreateConnectionCommand, CreateConnection, [CommandRunner, DataKeyService, KEYHOLD_CONFIG]),
    ...dispatchedUseCase(UpdateConnectionCommand, UpdateConnection, [CommandRunner, DataKeyService, EVENT_STORE]),
    ...dispatchedUseCase(UpdateOAuthClientCommand, UpdateOAuthClient, [READ_MODEL_STORE, UpdateConnection]),
    ...dispatchedUseCase(DeleteConnectionCommand, DeleteConnection, [CommandRunner, DataKeyService]),
    ...dispatchedUseCase(AccessConnectionCommand, AccessConnection, [CommandRunner, DataKeyService, ConnectionAccessTokens]),
    useCaseProvider(GetConnection, [READ_MODEL_STORE, EVENT_STORE]),
    useCaseProvider(GetOAuthClient, [READ_MODEL_STORE, EVENT_STORE]),
    useCaseProvider(ListConnections, [READ_MODEL_STORE]),
    useCaseProvider(ListOAuthClients, [READ_MODEL_STORE]),
  ],
})
export class ConnectionsModule {}
