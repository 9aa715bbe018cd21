import { randomBytes, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { AccessTokenEvent, EventMetadata, PersonalTokenEvent, Role, ROLES, ServiceAccountEvent, TenancyEvent, TOKEN_SCOPES, UserGrantEvent } from '@keyhold/domain';
import { generateSecret, parseSecret, SecretHasher, SecretKind } from '@keyhold/crypto';
import { RecordedEvent } from '@keyhold/event-store';
import { KeyholdConfig } from '@keyhold/platform';
import { IntegrationTokenIndex } from '../integrations/integration-token-index';
import { CredentialIndexSnapshot, decodeSnapshot, encodeSnapshot, SNAPSHOT_LAYOUT } from './credential-index-snapshot';
import { CredentialKindIndex } from './credential-kind-index';
import { EarlyDenials } from './early-denials';
import { OAuthIndex } from './oauth-index';
import { PersonalTokenIndex } from './personal-token-index';
import { UserGrantIndex } from './user-grant-index';

const hasher = new SecretHasher({ id: 'k1', key: randomBytes(32) });
const TENANT = randomUUID();
const ACCOUNT = randomUUID();
const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const HOUR = 3_600_000;
/** The instants at which every secret is verified: an expiry falls before, between or after them. */
const CHECKED_AT = [T0 + HOUR, T0 + 50 * HOUR, T0 + 500 * HOUR].map((ms) => new Date(ms).toISOString());

const USERS = Array.from({ length: 3 }, () => randomUUID());
/** A pool of credentials per kind, each with its id and plaintext: the events issue, reissue and revoke them at random. */
const pool = (kind: SecretKind, size: number) => Array.from({ length: size }, () => ({ id: randomUUID(), secret: generateSecret(kind) }));
const PERSONAL = pool('personalApiToken', 8);
const GRANTS = pool('userAccessToken', 4);
const LEGACY = pool('accessToken', 3);

type DomainEvent = TenancyEvent | PersonalTokenEvent | UserGrantEvent | ServiceAccountEvent | AccessTokenEvent;

const at = (hours: number) => new Date(T0 + hours * HOUR).toISOString();
const stored = (secret: string) => {
  const { hash, keyId } = hasher.hash(secret);
  return { hash, keyId };
};

const role = fc.constantFrom<Role>(...ROLES);
const index = (size: number) => fc.nat({ max: size - 1 });
/** Never expires, or expires in 10, 100 or 1000 hours: before, between and after the instants checked. */
const expiry = fc.constantFrom(null, 10, 100, 1000);

const anEvent: fc.Arbitrary<DomainEvent> = fc.oneof(
  fc.record({ user: index(USERS.length), role }).map(({ user, role }): DomainEvent => ({
    type: 'UserAdded',
    data: { tenantId: TENANT, userId: USERS[user], email: `u${user}@x.test`, role, addedAt: at(0) },
  })),
  fc.record({ user: index(USERS.length), role }).map(({ user, role }): DomainEvent => ({
    type: 'UserRoleChanged',
    data: { tenantId: TENANT, userId: USERS[user], previousRole: 'member', role, changedAt: at(0) },
  })),
  fc.record({ token: index(PERSONAL.length), user: index(USERS.length), scope: fc.constantFrom(...TOKEN_SCOPES), expiry }).map(({ token, user, scope, expiry }): DomainEvent => {
    const { hash, keyId } = stored(PERSONAL[token].secret);
    const data = { tenantId: TENANT, ownerId: USERS[user], tokenId: PERSONAL[token].id, label: 't', scope, secretHash: hash, hashKeyId: keyId, hint: 'h' };
    return { type: 'TokenIssued', data: { ...data, issuedAt: at(0), expiresAt: expiry === null ? null : at(expiry), idempotency: null } };
  }),
  fc.record({ token: index(PERSONAL.length), user: index(USERS.length) }).map(({ token, user }): DomainEvent => ({
    type: 'TokenRevoked',
    data: { tenantId: TENANT, ownerId: USERS[user], tokenId: PERSONAL[token].id, revokedAt: at(1), revokedBy: USERS[user], reason: null },
  })),
  fc.record({ grant: index(GRANTS.length), user: index(USERS.length), expiry: fc.constantFrom(10, 100, 1000) }).map(({ grant, user, expiry }): DomainEvent => {
    const { hash, keyId } = stored(GRANTS[grant].secret);
    const ids = { tenantId: TENANT, userId: USERS[user], clientId: 'c', grantId: 'g' };
    const data = { ...ids, via: 'authorization_code' as const, familyId: 'f', codeId: null, previousRefreshId: null, accessTokenId: GRANTS[grant].id, accessTokenHash: hash, hashKeyId: keyId };
    return { type: 'UserTokensIssued', data: { ...data, scope: ['tokens:read', 'tokens:write'], issuedAt: at(0), expiresAt: at(expiry), refresh: null } };
  }),
  fc.record({ grant: index(GRANTS.length) }).map(({ grant }): DomainEvent => ({
    type: 'UserTokensRevoked',
    data: { tenantId: TENANT, userId: USERS[0], clientId: 'c', grantId: 'g', familyIds: ['f'], accessTokenIds: [GRANTS[grant].id], reason: 'revoked-by-client', revokedAt: at(1) },
  })),
  fc.record({ token: index(LEGACY.length), expiry: fc.constantFrom(10, 100, 1000) }).map(({ token, expiry }): DomainEvent => {
    const { hash, keyId } = stored(LEGACY[token].secret);
    const ids = { tenantId: TENANT, tokenId: LEGACY[token].id, clientId: ACCOUNT, clientKind: 'service_account' as const };
    return { type: 'AccessTokenIssued', data: { ...ids, scope: ['tokens:introspect'], secretHash: hash, hashKeyId: keyId, clientGeneration: 0, clientSecretId: null, issuedAt: at(0), expiresAt: at(expiry) } };
  }),
  fc.record({ token: index(LEGACY.length) }).map(({ token }): DomainEvent => ({
    type: 'AccessTokenRevoked',
    data: { tenantId: TENANT, tokenId: LEGACY[token].id, clientId: ACCOUNT, revokedAt: at(1), revokedBy: ACCOUNT, expiresAt: at(1000) },
  })),
);

/** The service account the legacy access tokens belong to, first in every log. */
const ACCOUNT_EVENTS: DomainEvent[] = [
  { type: 'ServiceAccountCreated', data: { tenantId: TENANT, accountId: ACCOUNT, name: 'sa', secret: { secretHash: 'h', hashKeyId: 'k1', hint: 'h' }, sunsetAt: null, createdAt: at(0) } },
  { type: 'ServiceAccountPermissionGranted', data: { tenantId: TENANT, accountId: ACCOUNT, permission: 'tokens:introspect', grantedAt: at(0) } },
];

const recorded = (events: readonly DomainEvent[]): RecordedEvent[] =>
  events.map((event, n) => ({
    streamName: `test-${n}`,
    streamRevision: 0,
    globalPosition: String(n + 1).padStart(20, '0'),
    type: event.type,
    data: event.data,
    metadata: { eventId: randomUUID() } as EventMetadata,
  }));

const freshIndexes = () => {
  const personal = new PersonalTokenIndex();
  const indexes: CredentialKindIndex[] = [
    personal,
    new OAuthIndex(hasher, new EarlyDenials()),
    new IntegrationTokenIndex({ INTEGRATION_TOKEN_TTL_SECONDS: 3600 } as KeyholdConfig),
    new UserGrantIndex(personal),
  ];
  return { personal, indexes };
};

const snapshotOf = (indexes: readonly CredentialKindIndex[], last: RecordedEvent): CredentialIndexSnapshot => ({
  layout: SNAPSHOT_LAYOUT,
  position: last.globalPosition,
  previousPosition: null,
  eventId: last.metadata.eventId,
  states: new Map(indexes.map((index) => [index.kind, index.state()])),
});

const bytesOf = (parts: readonly Buffer[]) => Buffer.concat(parts);

/** Everything a node answers about every credential of the pools, at every instant checked: what a snapshot must not change. */
const answers = ({ personal, indexes }: ReturnType<typeof freshIndexes>) => {
  const byKind = new Map(indexes.map((index) => [index.kind, index]));
  const verdicts = [...PERSONAL, ...GRANTS, ...LEGACY].flatMap(({ secret }) =>
    CHECKED_AT.map((now) => {
      const principal = byKind.get(parseSecret(secret)!)!.verify(() => hasher.candidateHashes(secret), now, secret);
      return principal && { ...principal, permissions: [...principal.permissions].sort() };
    }),
  );
  return { verdicts, owners: PERSONAL.map(({ id }) => personal.ownerOf(id)), sizes: indexes.map((index) => index.size) };
};

describe('A snapshot of the credential index', () => {
  it('restored and then fed the rest of the log answers exactly as the whole log applied from the start', () => {
    fc.assert(
      fc.property(fc.array(anEvent, { minLength: 1, maxLength: 60 }), fc.nat(), (randomEvents, cutAt) => {
        const log = recorded([...ACCOUNT_EVENTS, ...randomEvents]);
        const cut = 1 + (cutAt % log.length);

        const whole = freshIndexes();
        for (const event of log) for (const index of whole.indexes) index.apply(event);

        const before = freshIndexes();
        for (const event of log.slice(0, cut)) for (const index of before.indexes) index.apply(event);
        const decoded = decodeSnapshot(bytesOf(encodeSnapshot(snapshotOf(before.indexes, log[cut - 1]), hasher)), hasher);
        if (typeof decoded === 'string') throw new Error(`refused: ${decoded}`);
        const restored = freshIndexes();
        for (const index of restored.indexes) index.restore(decoded.states.get(index.kind));
        for (const event of log.slice(cut)) for (const index of restored.indexes) index.apply(event);

        expect(decoded.position).toBe(log[cut - 1].globalPosition);
        expect(answers(restored)).toEqual(answers(whole));
      }),
      { numRuns: 200 },
    );
  });

  it('is refused when any byte of it changed, or when it was made under another hash key', () => {
    const { indexes } = freshIndexes();
    const log = recorded([...ACCOUNT_EVENTS, ...fc.sample(anEvent, { numRuns: 40, seed: 7 })]);
    for (const event of log) for (const index of indexes) index.apply(event);
    const bytes = bytesOf(encodeSnapshot(snapshotOf(indexes, log[log.length - 1]), hasher));
    expect(typeof decodeSnapshot(bytes, hasher)).toBe('object');

    const otherDataDir = new SecretHasher({ id: 'k1', key: randomBytes(32) });
    expect(decodeSnapshot(bytes, otherDataDir)).toBe('mac');
    fc.assert(
      fc.property(fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), (offset, flip) => {
        const tampered = Buffer.from(bytes);
        tampered[offset] ^= flip;
        expect(['mac', 'malformed']).toContain(decodeSnapshot(tampered, hasher));
      }),
      { numRuns: 300 },
    );
    expect(decodeSnapshot(bytes.subarray(0, bytes.length - 1), hasher)).toBe('mac');
  });

  it('of a large index, whose columns come back as views of the file rather than copies, answers as the index it was taken from', () => {
    const { personal, indexes } = freshIndexes();
    const tokens = Array.from({ length: 40_000 }, (_, n) => ({ id: randomUUID(), secret: generateSecret('personalApiToken'), expiry: n % 3 === 0 ? null : at(n % 2 === 0 ? 10 : 1000) }));
    const events: DomainEvent[] = [
      { type: 'UserAdded', data: { tenantId: TENANT, userId: USERS[0], email: 'u0@x.test', role: 'admin', addedAt: at(0) } },
      ...tokens.map(({ id, secret, expiry }): DomainEvent => {
        const { hash, keyId } = stored(secret);
        return { type: 'TokenIssued', data: { tenantId: TENANT, ownerId: USERS[0], tokenId: id, label: 't', scope: 'read', secretHash: hash, hashKeyId: keyId, hint: 'h', issuedAt: at(0), expiresAt: expiry, idempotency: null } };
      }),
      ...tokens.filter((_, n) => n % 5 === 0).map(({ id }): DomainEvent => ({ type: 'TokenRevoked', data: { tenantId: TENANT, ownerId: USERS[0], tokenId: id, revokedAt: at(1), revokedBy: USERS[0], reason: null } })),
    ];
    const log = recorded(events);
    for (const event of log) for (const index of indexes) index.apply(event);
    const bytes = bytesOf(encodeSnapshot(snapshotOf(indexes, log[log.length - 1]), hasher));
    const decoded = decodeSnapshot(bytes, hasher);
    if (typeof decoded === 'string') throw new Error(`refused: ${decoded}`);
    const restored = freshIndexes();
    for (const index of restored.indexes) index.restore(decoded.states.get(index.kind));

    const hashes = (decoded.states.get('personalApiToken') as { tokens: { hashes: Buffer } }).tokens.hashes;
    expect(hashes.buffer).toBe(bytes.buffer);
    expect(restored.personal.size).toBe(personal.size);
    const verdict = (index: PersonalTokenIndex, secret: string) => index.verify(() => hasher.candidateHashes(secret), CHECKED_AT[1])?.credential.id ?? null;
    for (const { id, secret } of tokens.filter((_, n) => n % 97 === 0)) {
      expect(verdict(restored.personal, secret)).toBe(verdict(personal, secret));
      expect(restored.personal.ownerOf(id)).toEqual(personal.ownerOf(id));
    }
    expect(tokens.filter((_, n) => n % 97 === 0).map(({ secret }) => verdict(restored.personal, secret)).filter(Boolean).length).toBeGreaterThan(100);
  });

  it('holds keyed hashes, never a plaintext secret', () => {
    const { indexes } = freshIndexes();
    const log = recorded([...ACCOUNT_EVENTS, ...fc.sample(anEvent, { numRuns: 80, seed: 11 })]);
    for (const event of log) for (const index of indexes) index.apply(event);
    const bytes = bytesOf(encodeSnapshot(snapshotOf(indexes, log[log.length - 1]), hasher)).toString('latin1');
    for (const { secret } of [...PERSONAL, ...GRANTS, ...LEGACY]) expect(bytes).not.toContain(secret.slice(-20));
  });
});
