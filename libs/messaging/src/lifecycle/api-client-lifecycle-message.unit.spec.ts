import { ApiClientEvent, DEFAULT_API_CLIENT_FLOWS, EventMetadata } from '@keyhold/domain';
import { LifecycleMessage, lifecycleMessageFor } from './lifecycle-message';

const ids = { tenantId: 'tenant-1', clientId: 'client-1' };
const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-07-01T00:00:00.000Z';
const secret = { secretHash: 'HASH-never-published', hashKeyId: 'KEY-ID-never-published', hint: 'kh_cs_…HINT' };
const metadata: EventMetadata = { eventId: 'e-1', tenantId: 'tenant-1', actorId: 'user-1', correlationId: 'c-1', causationId: 'c-1', occurredAt: T0, schemaVersion: 1 };

const events: ApiClientEvent[] = [
  { type: 'ApiClientCreated', data: { ...ids, name: 'reporting', flows: DEFAULT_API_CLIENT_FLOWS, createdAt: T0 } },
  { type: 'ApiClientRenamed', data: { ...ids, name: 'billing', renamedAt: T0 } },
  { type: 'ClientSecretAdded', data: { ...ids, secretId: 's-1', secret, expiresAt: T1, addedAt: T0 } },
  { type: 'ClientSecretRemoved', data: { ...ids, secretId: 's-1', removedAt: T0 } },
  { type: 'ClientSecretExpired', data: { ...ids, secretId: 's-1', expiresAt: T1, expiredAt: T1 } },
  { type: 'RedirectUriAdded', data: { ...ids, uri: 'https://app.example.com/cb', addedAt: T0 } },
  { type: 'RedirectUriRemoved', data: { ...ids, uri: 'https://app.example.com/cb', removedAt: T0 } },
  { type: 'ApiClientFlowsChanged', data: { ...ids, flows: { ...DEFAULT_API_CLIENT_FLOWS, clientCredentials: true, clientCredentialsRoles: ['admin', 'member'] }, changedAt: T0 } },
  { type: 'ApiClientDeleted', data: { ...ids, deletedAt: T0 } },
];

const messageOf = (event: ApiClientEvent) => {
  const message = lifecycleMessageFor({ streamName: 'apiClient-client-1', globalPosition: '1', type: event.type, data: event.data, metadata });
  if (!message) throw new Error(`${event.type} is not published`);
  return { ...message, parsed: JSON.parse(message.value) as LifecycleMessage };
};

describe('Lifecycle messages of API clients', () => {
  it.each(events.map((event) => [event.type, event] as const))('publishes %s about the client, keyed by its id', (_type, event) => {
    const message = messageOf(event);
    expect(message.key).toBe('client-1');
    expect(message.parsed.subject).toEqual({ kind: 'api_client', id: 'client-1' });
    expect(message.value).not.toMatch(/HASH|KEY-ID|HINT/);
  });

  it('publishes secret ids and expiries, URIs and flow settings as whitelisted strings', () => {
    expect(messageOf(events[2]).parsed.data).toEqual({ secretId: 's-1', expiresAt: T1 });
    expect(messageOf(events[5]).parsed.data).toEqual({ uri: 'https://app.example.com/cb' });
    expect(messageOf(events[7]).parsed.data).toEqual({
      requirePkce: 'false',
      refreshTokens: 'false',
      password: 'false',
      clientCredentials: 'true',
      clientCredentialsRoles: 'admin member',
    });
  });
});
