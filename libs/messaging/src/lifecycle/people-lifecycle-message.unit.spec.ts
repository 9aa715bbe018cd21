import { EventMetadata, UserGrantEvent } from '@keyhold/domain';
import { LifecycleMessage, lifecycleMessageFor, publicFormOf } from './lifecycle-message';

const ids = { tenantId: 'tenant-1', userId: 'user-1', clientId: 'client-1', grantId: 'grant-1' };
const T0 = '2026-01-01T00:00:00.000Z';
const metadata: EventMetadata = { eventId: 'e-1', tenantId: 'tenant-1', actorId: 'user-1', correlationId: 'c-1', causationId: 'c-1', occurredAt: T0, schemaVersion: 1 };
const NEVER = ['HASH-never-published', 'KEY-never-published'];

const grantEvents: UserGrantEvent[] = [
  { type: 'ConsentGranted', data: { ...ids, scope: ['openid', 'tokens:read'], grantedAt: T0 } },
  { type: 'ConsentWithdrawn', data: { ...ids, withdrawnAt: T0 } },
  { type: 'AuthorizationCodeReplayed', data: { ...ids, codeId: 'code-1', detectedAt: T0 } },
  { type: 'RefreshTokenReused', data: { ...ids, familyId: 'family-1', refreshId: 'refresh-1', detectedAt: T0 } },
  { type: 'UserTokensRevoked', data: { ...ids, familyIds: ['family-1'], accessTokenIds: ['at-1', 'at-2'], reason: 'refresh-token-reused', revokedAt: T0 } },
];
const issued: UserGrantEvent[] = [
  {
    type: 'AuthorizationCodeIssued',
    data: { ...ids, codeId: 'code-1', codeHash: NEVER[0], hashKeyId: NEVER[1], redirectUri: 'https://app/cb', codeChallenge: 'challenge', scope: ['tokens:read'], nonce: 'n', issuedAt: T0, expiresAt: T0 },
  },
  {
    type: 'UserTokensIssued',
    data: {
      ...ids,
      via: 'authorization_code',
      familyId: 'family-1',
      codeId: 'code-1',
      previousRefreshId: null,
      accessTokenId: 'at-1',
      accessTokenHash: NEVER[0],
      hashKeyId: NEVER[1],
      scope: ['tokens:read'],
      issuedAt: T0,
      expiresAt: T0,
      refresh: { refreshId: 'refresh-1', hash: NEVER[0], hashKeyId: NEVER[1], familyExpiresAt: T0 },
    },
  },
];

const messageOf = (event: UserGrantEvent) => lifecycleMessageFor({ streamName: 'userGrant-grant-1', globalPosition: '1', type: event.type, data: event.data, metadata });

describe('Lifecycle messages of people’s grants', () => {
  it.each(grantEvents.map((event) => [event.type, event] as const))('publishes %s about the grant, keyed by its id, naming user and client', (_type, event) => {
    const message = messageOf(event)!;
    expect(message.key).toBe('grant-1');
    const parsed = JSON.parse(message.value) as LifecycleMessage;
    expect(parsed.subject).toEqual({ kind: 'user_grant', id: 'grant-1' });
    expect(parsed.data).toMatchObject({ userId: 'user-1', clientId: 'client-1' });
  });

  it('carries the revoked access tokens, so that every node denies them before applying the log', () => {
    const parsed = JSON.parse(messageOf(grantEvents[4])!.value) as LifecycleMessage;
    expect(parsed.data).toMatchObject({ reason: 'refresh-token-reused', accessTokenIds: 'at-1 at-2', familyIds: 'family-1' });
  });

  it('keeps code and token issuance for the history only, without any hash', () => {
    for (const event of issued) {
      expect(messageOf(event)).toBeNull();
      const form = publicFormOf(event)!;
      expect(form.subject).toEqual({ kind: 'user_grant', id: 'grant-1' });
      for (const secret of NEVER) expect(JSON.stringify(form)).not.toContain(secret);
    }
  });

  it('publishes session start and end, never their activity', () => {
    const session = { tenantId: 'tenant-1', userId: 'user-1', sessionId: 'session-1' };
    const started = lifecycleMessageFor({
      streamName: 'session-session-1',
      globalPosition: '1',
      type: 'SessionStarted',
      data: { ...session, secretHash: NEVER[0], hashKeyId: NEVER[1], startedAt: T0, idleExpiresAt: T0, absoluteExpiresAt: T0 },
      metadata,
    })!;
    expect(JSON.parse(started.value).subject).toEqual({ kind: 'session', id: 'session-1' });
    for (const secret of NEVER) expect(started.value).not.toContain(secret);
    expect(lifecycleMessageFor({ streamName: 'session-session-1', globalPosition: '2', type: 'SessionActive', data: { ...session, at: T0, idleExpiresAt: T0 }, metadata })).toBeNull();
  });
});
