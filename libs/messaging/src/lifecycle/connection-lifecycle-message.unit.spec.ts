import { ConnectionEvent, EventMetadata, IntegrationEvent, TenantSettingsEvent, UserPasswordSet } from '@keyhold/domain';
import { LifecycleMessage, lifecycleMessageFor } from './lifecycle-message';

const T0 = '2026-01-01T00:00:00.000Z';
const sealed = { alg: 'A256GCM', keyId: 'DATAKEY-never-published', iv: 'IV-never-published', ciphertext: 'CIPHER-never-published', tag: 'TAG-never-published' } as const;
const hashed = { hash: 'HASH-never-published', hashKeyId: 'HASHKEY-never-published', hint: 'kh_iat_…HINT' };
const metadata: EventMetadata = { eventId: 'e-1', tenantId: 't-1', actorId: 'u-1', correlationId: 'c-1', causationId: 'c-1', occurredAt: T0, schemaVersion: 1 };
const NEVER = /never-published|HINT|\$scrypt/;

const messageOf = (streamName: string, event: ConnectionEvent | IntegrationEvent | TenantSettingsEvent | UserPasswordSet) => {
  const message = lifecycleMessageFor({ streamName, globalPosition: '1', type: event.type, data: event.data, metadata });
  if (!message) throw new Error(`${event.type} is not published`);
  expect(message.value).not.toMatch(NEVER);
  return { key: message.key, ...(JSON.parse(message.value) as LifecycleMessage) };
};

describe('Lifecycle messages of connections, integrations, settings and passwords', () => {
  const connection = { tenantId: 't-1', connectionId: 'conn-1' };

  it('publishes connections with names of fields, never a secret, a ciphertext or a key id', () => {
    const stream = 'connection-conn-1';
    expect(
      messageOf(stream, {
        type: 'ConnectionCreated',
        data: {
          ...connection,
          name: 'Slack',
          service: 'slack',
          allowedDomains: ['slack.com'],
          credential: { type: 'api_key', headerName: 'X-Key' },
          secrets: { apiKey: sealed },
          dataKeyId: 'DATAKEY-never-published',
          createdAt: T0,
          createdBy: 'u-1',
        },
      }),
    ).toMatchObject({ key: 'conn-1', subject: { kind: 'connection', id: 'conn-1' }, data: { name: 'Slack', service: 'slack', credentialType: 'api_key' } });
    expect(
      messageOf(stream, {
        type: 'ConnectionUpdated',
        data: { ...connection, changes: { name: 'x' }, replacedSecrets: { apiKey: sealed }, changedFields: ['name', 'apiKey'], updatedAt: T0, updatedBy: 'u-1' },
      }).data,
    ).toEqual({ changedFields: 'name,apiKey' });
    expect(
      messageOf(stream, {
        type: 'ConnectionCredentialAccessed',
        data: { ...connection, accessedBy: 'svc-1', actorKind: 'service_account', credentialId: 'at-1', targetDomain: 'slack.com', accessedAt: T0 },
      }).data,
    ).toEqual({ accessedBy: 'svc-1', actorKind: 'service_account', targetDomain: 'slack.com' });
    expect(messageOf(stream, { type: 'ConnectionDeleted', data: { ...connection, dataKeyId: 'DATAKEY-never-published', deletedAt: T0, deletedBy: 'u-1' } }).data).toEqual({
      deletedAt: T0,
    });
  });

  it('publishes integrations with token ids only, never hashes or hints', () => {
    const stream = 'integrations-t-1';
    const ids = { tenantId: 't-1', integrationId: 'int-1' };
    const created = messageOf(stream, {
      type: 'IntegrationCreated',
      data: { ...ids, name: 'ERP', email: 'ops@erp.example', callbackUrl: null, identityLinkUrl: null, insecure: true, resourceAccess: 'all', resources: [], createdAt: T0, createdBy: 'u-1' },
    });
    expect(created).toMatchObject({ key: 't-1', subject: { kind: 'integration', id: 'int-1' }, data: { name: 'ERP', resourceAccess: 'all', insecure: 'true' } });
    expect(
      messageOf(stream, {
        type: 'IntegrationActivated',
        data: { ...ids, consumerKey: hashed, consumerSecret: hashed, accessToken: { ...hashed, id: 'at-1' }, accessTokenSecret: hashed, activatedAt: T0, activatedBy: 'u-1' },
      }).data,
    ).toEqual({ accessTokenId: 'at-1' });
    expect(
      messageOf(stream, {
        type: 'IntegrationReauthorized',
        data: { ...ids, accessToken: { ...hashed, id: 'at-2' }, accessTokenSecret: hashed, previousAccessTokenId: 'at-1', reauthorizedAt: T0, reauthorizedBy: 'u-1' },
      }).data,
    ).toEqual({ accessTokenId: 'at-2', previousAccessTokenId: 'at-1' });
    expect(messageOf(stream, { type: 'IntegrationDeleted', data: { ...ids, revokedAccessTokenId: 'at-2', deletedAt: T0, deletedBy: 'u-1' } }).data).toEqual({
      revokedAccessTokenId: 'at-2',
    });
  });

  it('publishes the tenant settings and a password change, never the password hash', () => {
    expect(
      messageOf('tenantSettings-t-1', { type: 'AnonymousGuestAccessChanged', data: { tenantId: 't-1', allowed: true, changedAt: T0, changedBy: 'u-1' } }),
    ).toMatchObject({ subject: { kind: 'tenant', id: 't-1' }, data: { allowAnonymousGuestAccess: 'true' } });
    const maxLifetime = (maxDays: number | null) =>
      messageOf('tenantSettings-t-1', { type: 'ClientSecretMaxLifetimeChanged', data: { tenantId: 't-1', maxDays, changedAt: T0, changedBy: 'u-1' } });
    expect(maxLifetime(30)).toMatchObject({ subject: { kind: 'tenant', id: 't-1' }, data: { clientSecretMaxLifetimeDays: '30' } });
    expect(maxLifetime(null).data).toEqual({ clientSecretMaxLifetimeDays: null });
    const password = messageOf('userPassword-u-1', {
      type: 'UserPasswordSet',
      data: { tenantId: 't-1', userId: 'u-1', passwordHash: '$scrypt$ln=17,r=8,p=1$SALTnever-published$HASHnever-published', setAt: T0 },
    });
    expect(password).toMatchObject({ subject: { kind: 'user', id: 'u-1' }, data: {} });
  });
});
