import { deciderSpec } from '../testing/decider-spec';
import { fold } from '../shared/decider';
import {
  IssueToken,
  isLive,
  MAX_ACTIVE_TOKENS_PER_OWNER,
  PersonalToken,
  PersonalTokenEvent,
  personalTokensDecider,
  RevokeToken,
  TokenIssued,
  TokenRevoked,
} from './personal-tokens';

const TENANT_ID = 'tenant-1';
const OWNER_ID = 'owner-1';
const T0 = '2025-03-01T09:00:00.000Z';
const T1 = '2025-03-01T10:00:00.000Z';
const T2 = '2025-03-01T11:00:00.000Z';
const T3 = '2025-03-01T12:00:00.000Z';

const issue = (overrides: Partial<IssueToken> = {}): IssueToken => ({
  type: 'IssueToken',
  tenantId: TENANT_ID,
  ownerId: OWNER_ID,
  tokenId: 'tok-1',
  label: 'CI deploy',
  scope: 'read_write',
  secretHash: 'hash-of-tok-1',
  hashKeyId: 'k1',
  hint: 'kh_pat_…ab12',
  expiresAt: null,
  idempotency: null,
  now: T0,
  ...overrides,
});

/** The event an accepted IssueToken command produces, derived field by field. */
const issued = (command: IssueToken): TokenIssued => ({
  type: 'TokenIssued',
  data: {
    tenantId: command.tenantId,
    ownerId: command.ownerId,
    tokenId: command.tokenId,
    label: command.label,
    scope: command.scope,
    secretHash: command.secretHash,
    hashKeyId: command.hashKeyId,
    hint: command.hint,
    issuedAt: command.now,
    expiresAt: command.expiresAt,
    idempotency: command.idempotency,
  },
});

const revoke = (tokenId: string, overrides: Partial<RevokeToken> = {}): RevokeToken => ({
  type: 'RevokeToken',
  tokenId,
  revokedBy: 'admin-1',
  reason: 'leaked',
  now: T1,
  ...overrides,
});

const revoked = (tokenId: string, revokedAt = T1): TokenRevoked => ({
  type: 'TokenRevoked',
  data: { tenantId: TENANT_ID, ownerId: OWNER_ID, tokenId, revokedAt, revokedBy: 'admin-1', reason: 'leaked' },
});

/** `count` live tokens with distinct labels and ids. */
const manyIssued = (count: number): TokenIssued[] =>
  Array.from({ length: count }, (_, i) =>
    issued(issue({ tokenId: `tok-${i}`, label: `token ${i}`, secretHash: `hash-${i}` })),
  );

const spec = deciderSpec(personalTokensDecider);

describe('personal tokens decider', () => {
  describe('IssueToken', () => {
    it('issues a token carrying every field of the command', () => {
      const command = issue({
        tokenId: 'tok-42',
        label: 'Nightly backup',
        scope: 'read',
        secretHash: 'c2VjcmV0LWhhc2g',
        hashKeyId: 'k7',
        hint: 'kh_pat_…Zz09',
        expiresAt: T3,
        idempotency: { key: 'idem-1', requestFingerprint: 'fp-1' },
        now: T1,
      });
      spec.given([]).when(command).then([
        {
          type: 'TokenIssued',
          data: {
            tenantId: TENANT_ID,
            ownerId: OWNER_ID,
            tokenId: 'tok-42',
            label: 'Nightly backup',
            scope: 'read',
            secretHash: 'c2VjcmV0LWhhc2g',
            hashKeyId: 'k7',
            hint: 'kh_pat_…Zz09',
            issuedAt: T1,
            expiresAt: T3,
            idempotency: { key: 'idem-1', requestFingerprint: 'fp-1' },
          },
        },
      ]);
    });

    it('records a null idempotency and a null expiry when none are given', () => {
      spec.given([]).when(issue()).then([issued(issue())]);
      expect(issued(issue()).data).toMatchObject({ expiresAt: null, idempotency: null });
    });

    describe('label uniqueness among live tokens', () => {
      const first = issue({ tokenId: 'tok-1', label: 'CI deploy', expiresAt: T2 });

      it.each(['CI deploy', 'ci deploy', 'CI DEPLOY', '  CI deploy  ', '\tci Deploy\n'])(
        'refuses %j while a live token is labelled "CI deploy"',
        (label) => {
          spec
            .given([issued(first)])
            .when(issue({ tokenId: 'tok-2', label, now: T1 }))
            .thenRejects('LabelTaken');
        },
      );

      it('accepts a different label', () => {
        const second = issue({ tokenId: 'tok-2', label: 'CI deploy 2', now: T1 });
        spec.given([issued(first)]).when(second).then([issued(second)]);
      });

      it('lets the label be reused once the earlier token is revoked', () => {
        const second = issue({ tokenId: 'tok-2', label: 'ci deploy', now: T1 });
        spec.given([issued(first), revoked('tok-1', T1)]).when(second).then([issued(second)]);
      });

      it('lets the label be reused once the earlier token has expired (by the command\'s now)', () => {
        const second = issue({ tokenId: 'tok-2', label: 'CI deploy', now: T3 });
        spec.given([issued(first)]).when(second).then([issued(second)]);
      });

      it('treats a token as expired exactly at its expiry instant', () => {
        const second = issue({ tokenId: 'tok-2', label: 'CI deploy', now: T2 });
        spec.given([issued(first)]).when(second).then([issued(second)]);
      });

      it('still refuses the label just before the earlier token expires', () => {
        spec
          .given([issued(first)])
          .when(issue({ tokenId: 'tok-2', label: 'CI deploy', now: '2025-03-01T10:59:59.999Z' }))
          .thenRejects('LabelTaken');
      });
    });

    describe('expiry', () => {
      it('refuses an expiry in the past', () => {
        spec.given([]).when(issue({ expiresAt: T0, now: T1 })).thenRejects('ExpiryNotInFuture');
      });

      it('refuses an expiry equal to now', () => {
        spec.given([]).when(issue({ expiresAt: T1, now: T1 })).thenRejects('ExpiryNotInFuture');
      });

      it('accepts an expiry one millisecond in the future', () => {
        const command = issue({ expiresAt: '2025-03-01T10:00:00.001Z', now: T1 });
        spec.given([]).when(command).then([issued(command)]);
      });
    });

    describe(`at most ${MAX_ACTIVE_TOKENS_PER_OWNER} live tokens per owner`, () => {
      const extra = issue({ tokenId: 'tok-extra', label: 'one too many', now: T1 });

      it('accepts the last token up to the limit', () => {
        spec.given(manyIssued(MAX_ACTIVE_TOKENS_PER_OWNER - 1)).when(extra).then([issued(extra)]);
      });

      it('refuses one more token once the limit is reached', () => {
        spec.given(manyIssued(MAX_ACTIVE_TOKENS_PER_OWNER)).when(extra).thenRejects('TooManyActiveTokens');
      });

      it('frees a place when a token is revoked', () => {
        spec.given([...manyIssued(MAX_ACTIVE_TOKENS_PER_OWNER), revoked('tok-7')]).when(extra).then([issued(extra)]);
      });

      it('frees a place when a token expires', () => {
        const tokens = manyIssued(MAX_ACTIVE_TOKENS_PER_OWNER);
        tokens[3] = issued(issue({ tokenId: 'tok-3', label: 'token 3', expiresAt: T1 }));
        spec.given(tokens).when(issue({ ...extra, now: T2 })).then([issued(issue({ ...extra, now: T2 }))]);
      });

      it('a place freed by revocation is taken again by the next token issued', () => {
        const replacement = issue({ tokenId: 'tok-new', label: 'replacement', now: T1 });
        spec
          .given([...manyIssued(MAX_ACTIVE_TOKENS_PER_OWNER), revoked('tok-7'), issued(replacement)])
          .when(issue({ ...extra, now: T2 }))
          .thenRejects('TooManyActiveTokens');
      });
    });

    describe('idempotency', () => {
      const original = issue({ tokenId: 'tok-1', idempotency: { key: 'idem-1', requestFingerprint: 'fp-A' } });

      it('does nothing when the same key comes back with the same request', () => {
        spec
          .given([issued(original)])
          .when(issue({ tokenId: 'tok-retry', idempotency: { key: 'idem-1', requestFingerprint: 'fp-A' }, now: T1 }))
          .thenNothing();
      });

      it('refuses the same key with a different request', () => {
        spec
          .given([issued(original)])
          .when(issue({ tokenId: 'tok-2', label: 'other', idempotency: { key: 'idem-1', requestFingerprint: 'fp-B' }, now: T1 }))
          .thenRejects('IdempotencyKeyReused');
      });

      it('replays as a no-op even after the original was revoked (not LabelTaken, not a new token)', () => {
        spec
          .given([issued(original), revoked('tok-1')])
          .when(issue({ tokenId: 'tok-retry', idempotency: { key: 'idem-1', requestFingerprint: 'fp-A' }, now: T2 }))
          .thenNothing();
      });

      it('replays as a no-op even once its expiry has passed', () => {
        const expiring = issue({ expiresAt: T1, idempotency: { key: 'idem-1', requestFingerprint: 'fp-A' } });
        spec
          .given([issued(expiring)])
          .when(issue({ tokenId: 'tok-retry', expiresAt: T1, idempotency: { key: 'idem-1', requestFingerprint: 'fp-A' }, now: T3 }))
          .thenNothing();
      });

      it('issues normally under a new key (and the label rule still applies)', () => {
        const other = issue({ tokenId: 'tok-2', label: 'other', idempotency: { key: 'idem-2', requestFingerprint: 'fp-A' }, now: T1 });
        spec.given([issued(original)]).when(other).then([issued(other)]);
        spec
          .given([issued(original)])
          .when(issue({ tokenId: 'tok-3', idempotency: { key: 'idem-3', requestFingerprint: 'fp-A' }, now: T1 }))
          .thenRejects('LabelTaken');
      });

      it('a command without a key is never treated as a replay', () => {
        spec.given([issued(original)]).when(issue({ tokenId: 'tok-2', now: T1 })).thenRejects('LabelTaken');
      });
    });
  });

  describe('RevokeToken', () => {
    const tokenIssued = issued(issue());

    it('revokes a token, taking tenant and owner from the stream', () => {
      spec
        .given([tokenIssued])
        .when(revoke('tok-1', { revokedBy: 'admin-9', reason: null, now: T2 }))
        .then([
          {
            type: 'TokenRevoked',
            data: { tenantId: TENANT_ID, ownerId: OWNER_ID, tokenId: 'tok-1', revokedAt: T2, revokedBy: 'admin-9', reason: null },
          },
        ]);
    });

    it('takes tenant and owner from the stream, not from any later token', () => {
      const other = issued(issue({ tokenId: 'tok-2', label: 'other', tenantId: 'tenant-2', ownerId: 'owner-2' }));
      spec.given([tokenIssued, other]).when(revoke('tok-2')).then([
        {
          type: 'TokenRevoked',
          data: { tenantId: TENANT_ID, ownerId: OWNER_ID, tokenId: 'tok-2', revokedAt: T1, revokedBy: 'admin-1', reason: 'leaked' },
        },
      ]);
    });

    it('revokes an expired token too', () => {
      const expired = issued(issue({ expiresAt: T1 }));
      spec.given([expired]).when(revoke('tok-1', { now: T3 })).then([revoked('tok-1', T3)]);
    });

    it('does nothing when the token is already revoked (not an error)', () => {
      spec.given([tokenIssued, revoked('tok-1')]).when(revoke('tok-1', { now: T2, revokedBy: 'someone-else' })).thenNothing();
    });

    it('refuses an unknown token', () => {
      spec.given([tokenIssued]).when(revoke('tok-unknown')).thenRejects('TokenNotFound');
    });

    it('refuses on an empty stream', () => {
      spec.given([]).when(revoke('tok-1')).thenRejects('TokenNotFound');
    });

    it('folds the revocation into the state, keeping the token facts', () => {
      const state = fold(personalTokensDecider, [tokenIssued, revoked('tok-1')] as PersonalTokenEvent[]);
      expect(state.owner).toEqual({ tenantId: TENANT_ID, ownerId: OWNER_ID });
      expect(state.tokens.get('tok-1')).toEqual({
        status: 'revoked',
        tokenId: 'tok-1',
        label: 'CI deploy',
        scope: 'read_write',
        hint: 'kh_pat_…ab12',
        issuedAt: T0,
        expiresAt: null,
        idempotency: null,
        revokedAt: T1,
        revokedBy: 'admin-1',
      });
    });
  });
});

describe('isLive', () => {
  const token = (overrides: Partial<PersonalToken> = {}): PersonalToken =>
    ({
      status: 'active',
      tokenId: 'tok-1',
      label: 'x',
      scope: 'read',
      hint: 'kh_pat_…0000',
      issuedAt: T0,
      expiresAt: null,
      idempotency: null,
      ...overrides,
    }) as PersonalToken;

  it('an active token without expiry is live at any time', () => {
    expect(isLive(token(), T0)).toBe(true);
    expect(isLive(token(), '2999-12-31T23:59:59.999Z')).toBe(true);
  });

  it('an active token is live strictly before its expiry and not from it on', () => {
    const expiring = token({ expiresAt: T2 });
    expect(isLive(expiring, T1)).toBe(true);
    expect(isLive(expiring, '2025-03-01T10:59:59.999Z')).toBe(true);
    expect(isLive(expiring, T2)).toBe(false);
    expect(isLive(expiring, T3)).toBe(false);
  });

  it('a revoked token is never live, even before its expiry', () => {
    const revokedToken = token({ status: 'revoked', revokedAt: T1, revokedBy: 'admin-1', expiresAt: T3 } as Partial<PersonalToken>);
    expect(isLive(revokedToken, T0)).toBe(false);
    expect(isLive(token({ status: 'revoked', revokedAt: T1, revokedBy: 'a' } as Partial<PersonalToken>), T2)).toBe(false);
  });
});
