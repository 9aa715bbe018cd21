import { CREDENTIAL_SECRET_FIELDS, ConnectionState, CredentialType, secretFieldsSet, SecretField } from '@keyhold/domain';
import { ConnectionView } from '@keyhold/read-models';
import { PlainSecrets } from './connection-secrets';

export type ActiveConnection = Extract<ConnectionState, { status: 'active' }>;

/** For each secret field of the type: whether it is set. Never more than that. */
export const secretsSetFor = (type: CredentialType, set: readonly SecretField[]): Record<string, boolean> =>
  Object.fromEntries(
    [...CREDENTIAL_SECRET_FIELDS[type].required, ...CREDENTIAL_SECRET_FIELDS[type].optional].map((field) => [field, set.includes(field)]),
  );

/** What reads show of a connection: its settings, and which secrets are set, never a secret. */
export type ConnectionDetails = {
  readonly id: string;
  readonly name: string;
  readonly service: string;
  readonly allowedDomains: string[];
  readonly credential: { type: CredentialType; [setting: string]: unknown; secretsSet: Record<string, boolean> };
  readonly status: 'active' | 'deleted';
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly lastAccessedAt: string | null;
};

export const detailsOfView = (view: ConnectionView): ConnectionDetails => ({
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

/** The connection as a command left it. */
export const detailsOfConnection = (connection: ActiveConnection): ConnectionDetails => {
  const { type, ...settings } = connection.credential;
  return {
    id: connection.connectionId,
    name: connection.name,
    service: connection.service,
    allowedDomains: [...connection.allowedDomains],
    credential: { type, ...settings, secretsSet: secretsSetFor(type, secretFieldsSet(connection.secrets)) },
    status: 'active',
    createdAt: connection.createdAt,
    updatedAt: connection.updatedAt,
    lastAccessedAt: null,
  };
};

/** An OAuth client of a connection: what may be shown of it, and which of its secrets are set. */
export type OAuthClientDetails = {
  readonly connectionId: string;
  readonly name: string;
  readonly service: string;
  readonly clientId: string;
  readonly tokenUrl: string;
  readonly scopes: string[];
  readonly secretsSet: Record<string, boolean>;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly lastAccessedAt: string | null;
};

export const oauthClientOfView = (view: ConnectionView): OAuthClientDetails => ({
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

/** Ready-to-send headers for the credential types that are sent as headers (none for oauth2, which exchanges its secret first). */
export const headersFor = (connection: ActiveConnection, secrets: PlainSecrets): Record<string, string> => {
  switch (connection.credential.type) {
    case 'api_key':
      return { [connection.credential.headerName]: secrets.apiKey! };
    case 'basic_auth':
      return { Authorization: `Basic ${Buffer.from(`${secrets.username}:${secrets.password}`, 'utf8').toString('base64')}` };
    case 'bearer_token':
      return { Authorization: `Bearer ${secrets.token}` };
    case 'oauth2':
      return {};
  }
};
