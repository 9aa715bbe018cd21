import { randomBytes } from 'node:crypto';
import { EventMetadata, PersonalTokenEvent, TenancyEvent } from '@keyhold/domain';
import { generateSecret, SecretHasher } from '@keyhold/crypto';
import { RecordedEvent } from '@keyhold/event-store';
import { LifecycleMessage, lifecycleMessageFor } from '@keyhold/messaging';
import { denialsOf, EarlyDenials } from './early-denials';
import { PersonalTokenIndex } from './personal-token-index';

const hasher = new SecretHasher({ id: 'k1', key: randomBytes(32) });
const T0 = '2026-01-01T00:00:00.000Z';
const ids = { tenantId: 'tenant-1', ownerId: 'user-1', tokenId: 'token-1' };
const metadata = { eventId: 'e', occurredAt: T0, tenantId: ids.tenantId, actorId: ids.ownerId, correlationId: 'c', causationId: 'c' } as EventMetadata;

const recorded = (position: number, event: PersonalTokenEvent | TenancyEvent): RecordedEvent => ({
  streamName: `apiToken-${ids.ownerId}`,
  streamRevision: position,
  globalPosition: String(position).padStart(20, '0'),
  type: event.type,
  data: event.data,
  metadata: { ...metadata, eventId: `event-${position}` },
});

/** The message the relay publishes for an event: the contract, not a hand-made stand-in. */
const messageFor = (event: RecordedEvent): LifecycleMessage => JSON.parse(lifecycleMessageFor(event)!.value) as LifecycleMessage;

const revocation = recorded(3, { type: 'TokenRevoked', data: { ...ids, revokedAt: T0, revokedBy: ids.ownerId, reason: null } });

/** An index that has applied a user and a live token, positions 1 and 2, and the denials beside it. */
const indexWithLiveToken = () => {
  const secret = generateSecret('personalApiToken');
  const { hash, keyId } = hasher.hash(secret);
  const index = new PersonalTokenIndex();
  const denials = new EarlyDenials();
  for (const event of [
    recorded(1, { type: 'UserAdded', data: { tenantId: ids.tenantId, userId: ids.ownerId, email: 'a@b.test', role: 'admin', addedAt: T0 } }),
    recorded(2, { type: 'TokenIssued', data: { ...ids, label: 'l', scope: 'read', secretHash: hash, hashKeyId: keyId, hint: 'x', issuedAt: T0, expiresAt: null, idempotency: null } }),
  ]) {
    index.apply(event);
    denials.settle(event.globalPosition);
  }
  const verify = () => {
    const principal = index.verify(() => hasher.candidateHashes(secret), T0);
    return principal && denials.restrict(principal);
  };
  return { index, denials, verify };
};

describe('Early denials from the lifecycle topic', () => {
  it('deny a revoked token from the message alone, before the log brings the event', () => {
    const { denials, verify } = indexWithLiveToken();
    expect(verify()?.credential.id).toBe(ids.tokenId);

    expect(denials.record(messageFor(revocation))).toBe(1);
    expect(verify()).toBeNull();
  });

  it('hand over to the index once it applies the event, and stay denied throughout', () => {
    const { index, denials, verify } = indexWithLiveToken();
    denials.record(messageFor(revocation));
    index.apply(revocation);
    denials.settle(revocation.globalPosition);
    expect(denials.size).toBe(0);
    expect(verify()).toBeNull();
  });

  it('are idempotent, and ignore a message whose event the index has already applied', () => {
    const { index, denials, verify } = indexWithLiveToken();
    denials.record(messageFor(revocation));
    expect(denials.record(messageFor(revocation))).toBe(0);
    expect(denials.size).toBe(1);

    index.apply(revocation);
    denials.settle(revocation.globalPosition);
    expect(denials.record(messageFor(revocation))).toBe(0);
    expect(denials.size).toBe(0);
    expect(verify()).toBeNull();
  });

  it('never grant: messages that issue or add deny nothing and restore nothing', () => {
    const { denials, verify } = indexWithLiveToken();
    denials.record(messageFor(revocation));
    const issued = recorded(4, { type: 'TokenIssued', data: { ...ids, label: 'l', scope: 'read', secretHash: 'h', hashKeyId: 'k1', hint: 'x', issuedAt: T0, expiresAt: null, idempotency: null } });
    expect(denialsOf(messageFor(issued))).toEqual([]);
    denials.record(messageFor(issued));
    expect(verify()).toBeNull();
  });

  it('map each message that ends or narrows a credential to what it denies', () => {
    const message = (eventType: string, subjectId: string, data: Record<string, string | null> = {}) =>
      ({ eventType, subject: { kind: 'service_account', id: subjectId }, data, position: '1' }) as unknown as LifecycleMessage;
    expect(denialsOf(message('AccessTokenRevoked', 'at-1'))).toEqual([{ deny: 'credential', id: 'at-1' }]);
    expect(denialsOf(message('ClientSecretReset', 'sa-1'))).toEqual([{ deny: 'actor', id: 'sa-1' }]);
    expect(denialsOf(message('ServiceAccountDeleted', 'sa-1'))).toEqual([{ deny: 'actor', id: 'sa-1' }]);
    expect(denialsOf(message('ApiClientDeleted', 'c-1'))).toEqual([{ deny: 'actor', id: 'c-1' }]);
    expect(denialsOf(message('ClientSecretExpired', 'c-1', { secretId: 's-1' }))).toEqual([{ deny: 'clientSecret', id: 's-1' }]);
    expect(denialsOf(message('IntegrationReauthorized', 'i-1', { previousAccessTokenId: 'it-0' }))).toEqual([{ deny: 'credential', id: 'it-0' }]);
    expect(denialsOf(message('IntegrationDeleted', 'i-1', { revokedAccessTokenId: 'it-1' }))).toEqual([
      { deny: 'actor', id: 'i-1' },
      { deny: 'credential', id: 'it-1' },
    ]);
    expect(denialsOf(message('ServiceAccountPermissionsReset', 'sa-1'))).toEqual([{ deny: 'permission', id: 'sa-1', permission: null }]);
    expect(denialsOf(message('UserTokensRevoked', 'grant-1', { accessTokenIds: 'uat-1 uat-2' }))).toEqual([
      { deny: 'credential', id: 'uat-1' },
      { deny: 'credential', id: 'uat-2' },
    ]);
    expect(denialsOf(message('UserTokensRevoked', 'grant-1', { accessTokenIds: '' }))).toEqual([]);
  });

  it('withhold a removed permission and every permission after a reset, without refusing the credential', () => {
    const denials = new EarlyDenials();
    const principal = {
      tenantId: 't',
      actor: { kind: 'service_account', id: 'sa-1' },
      credential: { kind: 'accessToken', id: 'at-1' },
      scope: 'tokens:read tokens:write',
      permissions: new Set(['tokens:read', 'tokens:write']),
      issuedAt: T0,
      expiresAt: null,
    } as const;
    const message = (eventType: string, data: Record<string, string>, position: string) =>
      ({ eventType, subject: { kind: 'service_account', id: 'sa-1' }, data, position }) as unknown as LifecycleMessage;

    denials.record(message('ServiceAccountPermissionRemoved', { permission: 'tokens:write' }, '5'));
    expect([...denials.restrict(principal as never)!.permissions]).toEqual(['tokens:read']);
    denials.record(message('ServiceAccountPermissionsReset', { generation: '1' }, '6'));
    expect(denials.restrict(principal as never)!.permissions.size).toBe(0);
    denials.settle('6');
    expect(denials.restrict(principal as never)).toBe(principal);
  });
});
