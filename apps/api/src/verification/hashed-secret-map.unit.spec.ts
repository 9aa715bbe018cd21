import { createHash, randomBytes, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { effectivePermissions, EventMetadata, hasExpired, PersonalTokenEvent, Role, TenancyEvent, TokenScope } from '@keyhold/domain';
import { generateSecret, SecretHash, SecretHasher } from '@keyhold/crypto';
import { RecordedEvent } from '@keyhold/event-store';
import { HashedSecretMap } from './hashed-secret-map';
import { PersonalTokenIndex } from './personal-token-index';

/**
 * The compact index's contract: the same answers as a plain map of objects (what it replaced)
 * for any sequence of writes, on ids and hashes in every form, past several growths.
 */

const UUIDS = Array.from({ length: 40 }, () => randomUUID());
const OTHER_IDS = ['token-1', 'token-2', 'A-1B2C', 'x'];
/** Our hashes are base64url HMAC-SHA-256; a test may store any string. */
const hashOf = (id: string, version: number, odd: boolean): string =>
  odd ? `h:${id}:${version}` : createHash('sha256').update(`${id}#${version}`).digest('base64url');

type Op =
  | { op: 'set'; id: string; version: number; odd: boolean; keyId: string }
  | { op: 'delete'; id: string }
  | { op: 'find'; id: string; version: number; odd: boolean; keyIds: string[] };

const id = fc.oneof(fc.constantFrom(...UUIDS), fc.constantFrom(...OTHER_IDS));
const keyId = fc.constantFrom('k1', 'k2');
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('set' as const), id, version: fc.nat(2), odd: fc.boolean(), keyId }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), id }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('find' as const), id, version: fc.nat(2), odd: fc.boolean(), keyIds: fc.subarray(['k1', 'k2'], { minLength: 1 }) }) },
);

describe('HashedSecretMap', () => {
  it('answers as a plain map of ids to hashes and values would', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
        const map = new HashedSecretMap<string>();
        const model = new Map<string, { stored: SecretHash; value: string }>();
        ops.forEach((step, n) => {
          if (step.op === 'set') {
            const stored = { hash: hashOf(step.id, step.version, step.odd), keyId: step.keyId };
            map.set(step.id, stored, `value-${n}`);
            model.set(step.id, { stored, value: `value-${n}` });
          } else if (step.op === 'delete') {
            map.delete(step.id);
            model.delete(step.id);
          } else {
            const hash = hashOf(step.id, step.version, step.odd);
            const candidates = step.keyIds.map((k) => ({ hash, keyId: k }));
            const expected = [...model.values()].find((entry) => candidates.some((c) => c.hash === entry.stored.hash && c.keyId === entry.stored.keyId));
            expect(map.find(candidates)).toBe(expected?.value ?? null);
          }
          expect(map.size).toBe(model.size);
        });
        for (const [entryId, entry] of model) {
          expect(map.find([entry.stored])).toBe(entry.value);
          map.delete(entryId);
          expect(map.find([entry.stored])).toBeNull();
        }
        expect(map.size).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it('finds every one of many secrets, and none of the deleted ones', () => {
    const map = new HashedSecretMap<number>();
    const stored = Array.from({ length: 5000 }, (_, n) => ({ id: randomUUID(), hash: { hash: randomBytes(32).toString('base64url'), keyId: 'k1' }, n }));
    for (const { id: key, hash, n } of stored) map.set(key, hash, n);
    for (const { id: key, n } of stored) if (n % 3 === 0) map.delete(key);
    for (const { hash, n } of stored) expect(map.find([hash])).toBe(n % 3 === 0 ? null : n);
    expect(map.size).toBe(stored.filter(({ n }) => n % 3 !== 0).length);
  });
});

describe('PersonalTokenIndex (compact)', () => {
  const hasher = new SecretHasher({ id: 'k2', key: randomBytes(32) }, [{ id: 'k1', key: randomBytes(32) }]);
  const T0 = Date.parse('2026-01-01T00:00:00.000Z');
  const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
  const metadata = { eventId: 'e', occurredAt: at(0), tenantId: 't', actorId: 'a', correlationId: 'c', causationId: 'c' } as EventMetadata;
  const USERS = [
    { userId: randomUUID(), tenantId: 'tenant-a' },
    { userId: randomUUID(), tenantId: 'tenant-a' },
    { userId: 'user-3', tenantId: 'tenant-b' },
  ];

  type Step =
    | { step: 'user'; user: number; role: Role }
    | { step: 'issue'; owner: number; tenant: number; scope: TokenScope; issued: number; expires: number | null; precise: boolean }
    | { step: 'revoke'; token: number };

  const step: fc.Arbitrary<Step> = fc.oneof(
    { weight: 2, arbitrary: fc.record({ step: fc.constant('user' as const), user: fc.nat(2), role: fc.constantFrom<Role>('admin', 'member', 'auditor') }) },
    {
      weight: 6,
      arbitrary: fc.record({
        step: fc.constant('issue' as const),
        owner: fc.nat(2),
        tenant: fc.nat(4),
        scope: fc.constantFrom<TokenScope>('read', 'read_write'),
        issued: fc.integer({ min: -100, max: 0 }),
        expires: fc.option(fc.integer({ min: 1, max: 100 })),
        precise: fc.boolean(),
      }),
    },
    { weight: 2, arbitrary: fc.record({ step: fc.constant('revoke' as const), token: fc.nat(200) }) },
  );

  it('verifies, and finds owners, exactly as a map of token objects folded from the same events', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 150 }), fc.integer({ min: -50, max: 120 }), (steps, nowMinutes) => {
        const index = new PersonalTokenIndex();
        const tokens: { tokenId: string; secret: string; tenantId: string; ownerId: string; scope: TokenScope; issuedAt: string; expiresAt: string | null; revoked: boolean }[] = [];
        const users = new Map<string, { tenantId: string; role: Role }>();
        let position = 0;
        const apply = (event: PersonalTokenEvent | TenancyEvent) => {
          position += 1;
          const recorded: RecordedEvent = { streamName: 's', streamRevision: position, globalPosition: String(position).padStart(20, '0'), type: event.type, data: event.data, metadata };
          index.apply(recorded);
        };
        for (const s of steps) {
          if (s.step === 'user') {
            const { userId, tenantId } = USERS[s.user];
            const known = users.has(userId);
            users.set(userId, { tenantId, role: s.role });
            apply({ type: known ? 'UserRoleChanged' : 'UserAdded', data: { tenantId, userId, role: s.role, changedAt: at(0), email: 'u@x.test', addedAt: at(0) } } as TenancyEvent);
          } else if (s.step === 'issue') {
            const secret = generateSecret('personalApiToken');
            const { hash, keyId } = tokens.length % 2 ? hasher.hash(secret) : { hash: createHash('sha256').update(secret).digest('base64url'), keyId: 'elsewhere' };
            // A token's tenant is its owner's, except when the log says otherwise (then it never verifies).
            const tenantId = s.tenant < 3 ? USERS[s.owner].tenantId : 'tenant-other';
            const issuedAt = at(s.issued);
            // Instants as `toISOString` writes them, or as a client may have sent them (whole seconds, no milliseconds).
            const expiresAt = s.expires === null ? null : s.precise ? at(s.expires) : at(s.expires).replace('.000Z', 'Z');
            const token = { tokenId: tokens.length % 3 ? randomUUID() : `token-${tokens.length}`, secret, tenantId, ownerId: USERS[s.owner].userId, scope: s.scope, issuedAt, expiresAt, revoked: false };
            tokens.push(token);
            apply({ type: 'TokenIssued', data: { ...token, label: 'l', secretHash: hash, hashKeyId: keyId, hint: 'h', idempotency: null } } as PersonalTokenEvent);
          } else if (tokens.length > 0) {
            const token = tokens[s.token % tokens.length];
            token.revoked = true;
            apply({ type: 'TokenRevoked', data: { tenantId: token.tenantId, ownerId: token.ownerId, tokenId: token.tokenId, revokedAt: at(0), revokedBy: 'a', reason: null } });
          }
        }
        const now = at(nowMinutes);
        for (const token of tokens) {
          const owner = users.get(token.ownerId);
          const live = !token.revoked && !hasExpired(token.expiresAt, now) && owner !== undefined && owner.tenantId === token.tenantId;
          const expected = live
            ? {
                tenantId: token.tenantId,
                actor: { kind: 'user', id: token.ownerId },
                credential: { kind: 'personalApiToken', id: token.tokenId },
                scope: token.scope,
                permissions: effectivePermissions(owner!.role, token.scope),
                issuedAt: token.issuedAt,
                expiresAt: token.expiresAt,
              }
            : null;
          const candidates = tokens.indexOf(token) % 2 ? hasher.candidateHashes(token.secret) : [{ hash: createHash('sha256').update(token.secret).digest('base64url'), keyId: 'elsewhere' }];
          expect(index.verify(() => candidates, now)).toEqual(expected);
          expect(index.ownerOf(token.tokenId)).toEqual({ tenantId: token.tenantId, ownerId: token.ownerId });
        }
        expect(index.verify(() => hasher.candidateHashes(generateSecret('personalApiToken')), now)).toBeNull();
        expect(index.ownerOf(randomUUID())).toBeNull();
        expect(index.size).toBe(tokens.filter((token) => !token.revoked).length);
      }),
      { numRuns: 150 },
    );
  });
});
