import { CONNECTION_EVENTS, connectionDecider } from '@keyhold/domain';
import { EventStore } from '@keyhold/event-store';
import { CONNECTIONS, ConnectionView, Page, ReadModelStore } from '@keyhold/read-models';
import { ApplicationError } from '../application-error';
import { revisionOf, undeletedOfTenant } from '../tenant-resource';
import { ConnectionDetails, detailsOfView, OAuthClientDetails, oauthClientOfView } from './connection-details';
import { connectionStream } from './connection-stream';

const NOT_FOUND = 'Connection not found.';

/** A connection from the read model, within the caller's tenant; a deleted one says so. */
const viewOf = (readModels: ReadModelStore, tenantId: string, connectionId: string): Promise<ConnectionView> =>
  undeletedOfTenant<ConnectionView>(readModels, CONNECTIONS, { tenantId, id: connectionId }, NOT_FOUND, { code: 'ConnectionDeleted', message: 'The connection was deleted.' });

export const oauthClientViewOf = async (readModels: ReadModelStore, tenantId: string, connectionId: string): Promise<ConnectionView> => {
  const view = await viewOf(readModels, tenantId, connectionId);
  if (view.credentialType !== 'oauth2') throw ApplicationError.notFound('This connection has no OAuth client.');
  return view;
};

/** The revision of the connection's stream: what an ETag names and an If-Match expects. */
const revisionOfView = (events: EventStore, view: ConnectionView) =>
  revisionOf(view.streamRevision, events, connectionStream(view.id), connectionDecider, CONNECTION_EVENTS, NOT_FOUND);

export type ConnectionRef = { readonly tenantId: string; readonly connectionId: string };

/** One connection, and the revision of its stream. */
export class GetConnection {
  constructor(
    private readonly readModels: ReadModelStore,
    private readonly events: EventStore,
  ) {}

  async execute({ tenantId, connectionId }: ConnectionRef): Promise<{ connection: ConnectionDetails; revision: number }> {
    const view = await viewOf(this.readModels, tenantId, connectionId);
    return { connection: detailsOfView(view), revision: await revisionOfView(this.events, view) };
  }
}

/** An OAuth 2.0 connection's client, and the revision of its connection's stream. */
export class GetOAuthClient {
  constructor(
    private readonly readModels: ReadModelStore,
    private readonly events: EventStore,
  ) {}

  async execute({ tenantId, connectionId }: ConnectionRef): Promise<{ client: OAuthClientDetails; revision: number }> {
    const view = await oauthClientViewOf(this.readModels, tenantId, connectionId);
    return { client: oauthClientOfView(view), revision: await revisionOfView(this.events, view) };
  }
}

export type ListConnectionsInput = { readonly tenantId: string; readonly limit: number; readonly cursor: string | null };

/** The tenant's active connections, newest first. */
export class ListConnections {
  constructor(private readonly readModels: ReadModelStore) {}

  async execute({ tenantId, limit, cursor }: ListConnectionsInput): Promise<Page<ConnectionDetails>> {
    const page = await this.readModels
      .collection<ConnectionView>(CONNECTIONS)
      .list({ where: { tenantId, status: 'active' }, orderBy: 'createdAt', direction: 'desc', limit, cursor });
    return { items: page.items.map(detailsOfView), nextCursor: page.nextCursor };
  }
}

export type ListOAuthClientsInput = ListConnectionsInput & { readonly service?: string; readonly clientId?: string };

/** The OAuth clients of the tenant's OAuth 2.0 connections, newest first, filtered by service and client ID. */
export class ListOAuthClients {
  constructor(private readonly readModels: ReadModelStore) {}

  async execute({ tenantId, service, clientId, limit, cursor }: ListOAuthClientsInput): Promise<Page<OAuthClientDetails>> {
    const page = await this.readModels.collection<ConnectionView>(CONNECTIONS).list({
      where: {
        tenantId,
        status: 'active',
        credentialType: 'oauth2',
        ...(service !== undefined ? { service } : {}),
        ...(clientId !== undefined ? { oauthClientId: clientId } : {}),
      },
      orderBy: 'createdAt',
      direction: 'desc',
      limit,
      cursor,
    });
    return { items: page.items.map(oauthClientOfView), nextCursor: page.nextCursor };
  }
}
