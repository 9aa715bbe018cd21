import { assertNever, CONNECTION_EVENTS, CredentialSettings, CredentialType, SECRET_FIELDS, secretFieldsSet, SecretField } from '@keyhold/domain';
import { RecordedEvent } from '@keyhold/event-store';
import { patchIfNewer } from '../projection/patch-if-newer';
import { Projection } from '../projection/projection-runner';
import { CollectionDefinition, ReadModelDocument, ReadModelStore } from '../read-model-store.port';

/**
 * A connection as admins see it: the non-secret settings, and which secret fields are set, by
 * name only. No ciphertext either: the read side has no business with secrets at all.
 */
export type ConnectionView = ReadModelDocument & {
  id: string;
  tenantId: string;
  name: string;
  service: string;
  allowedDomains: string[];
  credentialType: CredentialType;
  /** The credential's non-secret settings (header name; OAuth client id, token URL and scopes). */
  settings: Record<string, unknown>;
  /** An OAuth 2.0 connection's client ID, at the top to be filtered on (the OAuth clients' list); null otherwise. */
  oauthClientId?: string | null;
  secretsSet: SecretField[];
  status: 'active' | 'deleted';
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  deletedAt: string | null;
  lastAccessedAt: string | null;
  lastAccessedBy: string | null;
  /**
   * The revision of its stream (it has one of its own) at the last event, what its ETag names
   * without a log read; absent on documents written before views kept it.
   */
  streamRevision?: number;
};

export const CONNECTIONS: CollectionDefinition = {
  name: 'connections',
  indexes: [['tenantId', 'status', 'createdAt']],
};

const settingsOf = (credential: CredentialSettings): Record<string, unknown> => {
  const { type: _type, ...settings } = credential;
  return settings;
};

const oauthClientIdOf = (credential: CredentialSettings): string | null => (credential.type === 'oauth2' ? credential.clientId : null);

export const connectionsProjection = (readModels: ReadModelStore): Projection => {
  const connections = readModels.collection<ConnectionView>(CONNECTIONS);
  return {
    name: 'connections',
    async apply(event: RecordedEvent) {
      if (!CONNECTION_EVENTS.includes(event)) return;
      switch (event.type) {
        case 'ConnectionCreated': {
          const { connectionId, tenantId, name, service, allowedDomains, credential, secrets, createdAt, createdBy } = event.data;
          await connections.putIfNewer(
            {
              id: connectionId,
              tenantId,
              name,
              service,
              allowedDomains,
              credentialType: credential.type,
              settings: settingsOf(credential),
              oauthClientId: oauthClientIdOf(credential),
              secretsSet: secretFieldsSet(secrets),
              status: 'active',
              createdAt,
              createdBy,
              updatedAt: createdAt,
              deletedAt: null,
              lastAccessedAt: null,
              lastAccessedBy: null,
              streamRevision: event.streamRevision,
            },
            event.globalPosition,
          );
          return;
        }
        case 'ConnectionUpdated': {
          const connection = await connections.get(event.data.connectionId);
          if (!connection) return;
          const { changes, replacedSecrets, updatedAt } = event.data;
          const secretsSet = new Set<SecretField>([...connection.secretsSet, ...secretFieldsSet(replacedSecrets)]);
          await connections.putIfNewer(
            {
              ...connection,
              name: changes.name ?? connection.name,
              service: changes.service ?? connection.service,
              allowedDomains: changes.allowedDomains ?? connection.allowedDomains,
              settings: changes.credential ? settingsOf(changes.credential) : connection.settings,
              oauthClientId: changes.credential ? oauthClientIdOf(changes.credential) : (connection.oauthClientId ?? null),
              secretsSet: SECRET_FIELDS.filter((field) => secretsSet.has(field)),
              updatedAt,
              streamRevision: event.streamRevision,
            },
            event.globalPosition,
          );
          return;
        }
        case 'ConnectionDeleted': {
          const connection = await connections.get(event.data.connectionId);
          if (!connection) return;
          await connections.putIfNewer(
            { ...connection, status: 'deleted', secretsSet: [], deletedAt: event.data.deletedAt, streamRevision: event.streamRevision },
            event.globalPosition,
          );
          return;
        }
        case 'ConnectionCredentialAccessed': {
          const connection = await connections.get(event.data.connectionId);
          if (!connection) return;
          await connections.putIfNewer(
            { ...connection, lastAccessedAt: event.data.accessedAt, lastAccessedBy: event.data.accessedBy, streamRevision: event.streamRevision },
            event.globalPosition,
          );
          return;
        }
        case 'ConnectionAccessTokenFetched':
        case 'ConnectionAccessTokenFetchFailed':
          // A fetch shows nowhere in the view, but it moves the stream's revision: the ETag.
          return patchIfNewer(connections, event.data.connectionId, event.globalPosition, () => ({ streamRevision: event.streamRevision }));
        default:
          return assertNever(event);
      }
    },
  };
};
