import { Inject, Injectable } from '@nestjs/common';
import { CONNECTIONS, ConnectionView, READ_MODEL_STORE, ReadModelStore } from '@keyhold/read-models';
import { CREDENTIAL_SECRET_FIELDS, CredentialType, SecretField } from '@keyhold/domain';
import { Problem } from '../http/problem';
import { Principal } from '../verification/principal';
import { ConnectionResponse } from './connection.dto';

/** For each secret field of the type: whether it is set. Never more than that. */
export const secretsSetFor = (type: CredentialType, set: readonly SecretField[]): Record<string, boolean> =>
  Object.fromEntries(
    [...CREDENTIAL_SECRET_FIELDS[type].required, ...CREDENTIAL_SECRET_FIELDS[type].optional].map((field) => [field, set.includes(field)]),
  );

export const toConnectionResponse = (view: ConnectionView): ConnectionResponse => ({
  id: view.id,
  name: view.name,
  service: view.service,
  allowedDomains: view.allowedDomains,
  credential: { type: view.credentialType, ...view.settings, secretsSet: secretsSetFor(view.credentialType, view.secretsSet) },
  status: view.status,
  createdAt: view.createdAt,
  updatedAt: view.updatedAt,
  lastAccessedAt: view.lastAccessedAt,
});

/** An OAuth client of a connection: what may be shown of it, and which of its secrets are set. */
export const toOAuthClientResponse = (view: ConnectionView) => ({
  connectionId: view.id,
  name: view.name,
  service: view.service,
  clientId: view.settings.clientId as string,
  tokenUrl: view.settings.tokenUrl as string,
  scopes: view.settings.scopes as string[],
  secretsSet: secretsSetFor('oauth2', view.secretsSet),
  createdAt: view.createdAt,
  updatedAt: view.updatedAt,
  lastAccessedAt: view.lastAccessedAt,
});

/** Reads connections from the read model only, within the caller's tenant. */
@Injectable()
export class ConnectionsQuery {
  constructor(@Inject(READ_MODEL_STORE) private readonly readModels: ReadModelStore) {}

  async get(principal: Principal, connectionId: string): Promise<ConnectionResponse> {
    return toConnectionResponse(await this.view(principal, connectionId));
  }

  async oauthClient(principal: Principal, connectionId: string) {
    const view = await this.view(principal, connectionId);
    if (view.credentialType !== 'oauth2') throw new Problem('not-found', 'This connection has no OAuth client.');
    return toOAuthClientResponse(view);
  }

  private async view(principal: Principal, connectionId: string): Promise<ConnectionView> {
    const view = await this.readModels.collection<ConnectionView>(CONNECTIONS).get(connectionId);
    if (!view || view.tenantId !== principal.tenantId) throw new Problem('not-found', 'Connection not found.');
    if (view.status === 'deleted') throw new Problem('connection-deleted', 'The connection was deleted.');
    return view;
  }

  /** The OAuth clients of the tenant's OAuth 2.0 connections, newest first, filtered by service and client ID. */
  async oauthClients(principal: Principal, filters: { service?: string; clientId?: string }, limit: number, cursor: string | null) {
    const page = await this.readModels.collection<ConnectionView>(CONNECTIONS).list({
      where: {
        tenantId: principal.tenantId,
        status: 'active',
        credentialType: 'oauth2',
        ...(filters.service !== undefined ? { service: filters.service } : {}),
        ...(filters.clientId !== undefined ? { oauthClientId: filters.clientId } : {}),
      },
      orderBy: 'createdAt',
      direction: 'desc',
      limit,
      cursor,
    });
    return { items: page.items.map(toOAuthClientResponse), nextCursor: page.nextCursor };
  }

  async list(principal: Principal, limit: number, cursor: string | null) {
    const page = await this.readModels.collection<ConnectionView>(CONNECTIONS).list({
      where: { tenantId: principal.tenantId, status: 'active' },
      orderBy: 'createdAt',
      direction: 'desc',
      limit,
      cursor,
    });
    return { items: page.items.map(toConnectionResponse), nextCursor: page.nextCursor };
  }
}
