import { EVENT_SCHEMAS } from '../event-schemas';
import { personalTokensDecider, TokenIssued, TokenIssuedV1Data } from '../personal-tokens/personal-tokens';
import { fold } from './decider';
import { defineEventSchemas, UnknownSchemaVersionError, upcaster } from './upcasting';

describe('defineEventSchemas', () => {
  const schemas = defineEventSchemas({
    Renamed: [
      upcaster(({ name }: { name: string }) => ({ title: name })),
      upcaster(({ title }: { title: string }) => ({ title, language: 'en' })),
    ],
  });

  it('writes a type at version 1 plus the number of its changes', () => {
    expect(schemas.currentVersion('Renamed')).toBe(3);
    expect(schemas.currentVersion('NeverChanged')).toBe(1);
  });

  it('applies every change after the stored version, in order', () => {
    expect(schemas.upcast('Renamed', 1, { name: 'a' })).toEqual({ title: 'a', language: 'en' });
    expect(schemas.upcast('Renamed', 2, { title: 'b' })).toEqual({ title: 'b', language: 'en' });
  });

  it('hands current data back as it is', () => {
    const current = { title: 'c', language: 'fr' };
    expect(schemas.upcast('Renamed', 3, current)).toBe(current);
    const unchanged = { n: 1 };
    expect(schemas.upcast('NeverChanged', 1, unchanged)).toBe(unchanged);
  });

  it('refuses a version it cannot know: written by a newer node, or not a version at all', () => {
    expect(() => schemas.upcast('Renamed', 4, {})).toThrow(UnknownSchemaVersionError);
    expect(() => schemas.upcast('Renamed', 4, {})).toThrow(/newer Keyhold/);
    expect(() => schemas.upcast('NeverChanged', 0, {})).toThrow(UnknownSchemaVersionError);
    expect(() => schemas.upcast('NeverChanged', 1.5, {})).toThrow(UnknownSchemaVersionError);
  });
});

describe('TokenIssued v1 → v2', () => {
  const v1 = (overrides: Partial<TokenIssuedV1Data> = {}): TokenIssuedV1Data => ({
    tenantId: 'tenant-1',
    ownerId: 'owner-1',
    tokenId: 'tok-1',
    label: 'CI deploy',
    scope: 'read',
    secretHash: 'hash-of-tok-1',
    hashKeyId: 'k1',
    hint: 'kh_pat_…ab12',
    issuedAt: '2025-03-01T09:00:00.000Z',
    expiresAt: null,
    idempotencyKey: null,
    requestFingerprint: null,
    ...overrides,
  });

  it('is the current version of TokenIssued', () => {
    expect(EVENT_SCHEMAS.currentVersion('TokenIssued')).toBe(2);
    expect(EVENT_SCHEMAS.currentVersion('TokenRevoked')).toBe(1);
  });

  it('folds the key and its fingerprint into one idempotency record', () => {
    const upcast = EVENT_SCHEMAS.upcast('TokenIssued', 1, v1({ idempotencyKey: 'idem-1', requestFingerprint: 'fp-1' }));
    expect(upcast).toStrictEqual({
      tenantId: 'tenant-1',
      ownerId: 'owner-1',
      tokenId: 'tok-1',
      label: 'CI deploy',
      scope: 'read',
      secretHash: 'hash-of-tok-1',
      hashKeyId: 'k1',
      hint: 'kh_pat_…ab12',
      issuedAt: '2025-03-01T09:00:00.000Z',
      expiresAt: null,
      idempotency: { key: 'idem-1', requestFingerprint: 'fp-1' },
    });
  });

  it('reads an issue without a key as no idempotency', () => {
    expect(EVENT_SCHEMAS.upcast('TokenIssued', 1, v1())).toMatchObject({ idempotency: null, label: 'CI deploy', scope: 'read' });
  });

  it('lets the decider recognise a retry of a request first made under v1', () => {
    const stored = { type: 'TokenIssued', data: EVENT_SCHEMAS.upcast('TokenIssued', 1, v1({ idempotencyKey: 'idem-1', requestFingerprint: 'fp-1' })) } as TokenIssued;
    const state = fold(personalTokensDecider, [stored]);
    const retry = personalTokensDecider.decide(
      {
        type: 'IssueToken',
        tenantId: 'tenant-1',
        ownerId: 'owner-1',
        tokenId: 'tok-retry',
        label: 'CI deploy',
        scope: 'read',
        secretHash: 'other-hash',
        hashKeyId: 'k1',
        hint: 'kh_pat_…cd34',
        expiresAt: null,
        idempotency: { key: 'idem-1', requestFingerprint: 'fp-1' },
        now: '2025-03-01T10:00:00.000Z',
      },
      state,
    );
    expect(retry).toEqual({ outcome: 'accepted', events: [] });
  });
});
