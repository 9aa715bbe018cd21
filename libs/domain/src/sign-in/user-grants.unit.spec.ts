import { deciderSpec } from '../testing/decider-spec';
import { AuthorizationCodeIssued, GrantIds, NewTokens, userGrantDecider, UserTokensIssued } from './user-grants';

const T0 = '2026-01-01T09:00:00.000Z';
const at = (ms: number) => new Date(Date.parse(T0) + ms).toISOString();
const ids: GrantIds = { tenantId: 't1', userId: 'u1', clientId: 'c1', grantId: 'g1' };
const code: AuthorizationCodeIssued = {
  type: 'AuthorizationCodeIssued',
  data: { ...ids, codeId: 'code1', codeHash: 'h', hashKeyId: 'k', redirectUri: 'https://app/cb', codeChallenge: 'challenge', scope: ['tokens:read'], nonce: 'n', issuedAt: T0, expiresAt: at(60_000) },
};
const tokens = (n: number, refresh = true): NewTokens => ({
  familyId: 'f1',
  accessTokenId: `a${n}`,
  accessTokenHash: { hash: `ah${n}`, hashKeyId: 'k' },
  accessTokenLifetimeMs: 15 * 60_000,
  refresh: refresh ? { refreshId: `r${n}`, hash: { hash: `rh${n}`, hashKeyId: 'k' } } : null,
});
const issued = (n: number, via: 'authorization_code' | 'refresh_token', now: string): UserTokensIssued => ({
  type: 'UserTokensIssued',
  data: {
    ...ids,
    via,
    familyId: 'f1',
    codeId: via === 'authorization_code' ? 'code1' : null,
    previousRefreshId: via === 'refresh_token' ? `r${n - 1}` : null,
    accessTokenId: `a${n}`,
    accessTokenHash: `ah${n}`,
    hashKeyId: 'k',
    scope: ['tokens:read'],
    issuedAt: now,
    expiresAt: new Date(Date.parse(now) + 15 * 60_000).toISOString(),
    refresh: { refreshId: `r${n}`, hash: `rh${n}`, hashKeyId: 'k', familyExpiresAt: at(30 * 24 * 3600_000 + 1000) },
  },
});
const redeem = (now: string, overrides: object = {}) => ({ type: 'RedeemAuthorizationCode' as const, codeId: 'code1', clientId: 'c1', redirectUri: 'https://app/cb', verifierChallenge: 'challenge', tokens: tokens(1), now, ...overrides });

describe('user grants', () => {
  const spec = deciderSpec(userGrantDecider);

  it('needs consent for a third-party code, not for a first-party one', () => {
    const issue = { type: 'IssueAuthorizationCode' as const, ...ids, consentRequired: true, codeId: 'code1', codeHash: { hash: 'h', hashKeyId: 'k' }, redirectUri: 'https://app/cb', codeChallenge: 'challenge', scope: ['tokens:read'], nonce: 'n', now: T0 };
    spec.given([]).when(issue).thenRejects('ConsentRequired');
    spec.given([]).when({ ...issue, consentRequired: false }).then([code]);
    spec.given([{ type: 'ConsentGranted', data: { ...ids, scope: ['tokens:read', 'tokens:write'], grantedAt: T0 } }]).when(issue).then([code]);
  });

  it('redeems a code once, within 60 s, with its redirect URI and verifier', () => {
    spec.given([code]).when(redeem(at(1000))).then([issued(1, 'authorization_code', at(1000))]);
    spec.given([code]).when(redeem(at(60_000))).thenRejects('InvalidGrant');
    spec.given([code]).when(redeem(at(1000), { redirectUri: 'https://app/other' })).thenRejects('InvalidGrant');
    spec.given([code]).when(redeem(at(1000), { verifierChallenge: 'other' })).thenRejects('InvalidGrant');
    spec.given([code]).when(redeem(at(1000), { verifierChallenge: null })).thenRejects('InvalidGrant');
    spec.given([code]).when(redeem(at(1000), { clientId: 'c2' })).thenRejects('InvalidGrant');
  });

  it('revokes what a replayed code issued', () => {
    spec
      .given([code, issued(1, 'authorization_code', at(1000)), issued(2, 'refresh_token', at(2000))])
      .when(redeem(at(3000), { tokens: tokens(9) }))
      .then([
        { type: 'AuthorizationCodeReplayed', data: { ...ids, codeId: 'code1', detectedAt: at(3000) } },
        { type: 'UserTokensRevoked', data: { ...ids, familyIds: ['f1'], accessTokenIds: ['a1', 'a2'], reason: 'code-replayed', revokedAt: at(3000) } },
      ]);
  });

  it('rotates refresh tokens and revokes the family when a rotated one is reused', () => {
    const history = [code, issued(1, 'authorization_code', at(1000))];
    spec.given(history).when({ type: 'RefreshTokens', refreshId: 'r1', tokens: { accessTokenId: 'a2', accessTokenHash: { hash: 'ah2', hashKeyId: 'k' }, accessTokenLifetimeMs: 15 * 60_000, refresh: { refreshId: 'r2', hash: { hash: 'rh2', hashKeyId: 'k' } } }, now: at(2000) }).then([issued(2, 'refresh_token', at(2000))]);
    spec
      .given([...history, issued(2, 'refresh_token', at(2000))])
      .when({ type: 'RefreshTokens', refreshId: 'r1', tokens: { accessTokenId: 'a3', accessTokenHash: { hash: 'ah3', hashKeyId: 'k' }, accessTokenLifetimeMs: 15 * 60_000, refresh: null }, now: at(3000) })
      .then([
        { type: 'RefreshTokenReused', data: { ...ids, familyId: 'f1', refreshId: 'r1', detectedAt: at(3000) } },
        { type: 'UserTokensRevoked', data: { ...ids, familyIds: ['f1'], accessTokenIds: ['a1', 'a2'], reason: 'refresh-token-reused', revokedAt: at(3000) } },
      ]);
    spec.given(history).when({ type: 'RefreshTokens', refreshId: 'r1', tokens: { accessTokenId: 'a2', accessTokenHash: { hash: 'ah2', hashKeyId: 'k' }, accessTokenLifetimeMs: 15 * 60_000, refresh: null }, now: at(31 * 24 * 3600_000) }).thenRejects('InvalidGrant');
  });

  it('withdrawing consent revokes every live family; within the tenant only', () => {
    const history = [{ type: 'ConsentGranted' as const, data: { ...ids, scope: ['tokens:read'], grantedAt: T0 } }, code, issued(1, 'authorization_code', at(1000))];
    spec.given(history).when({ type: 'WithdrawConsent', tenantId: 't1', now: at(5000) }).then([
      { type: 'ConsentWithdrawn', data: { ...ids, withdrawnAt: at(5000) } },
      { type: 'UserTokensRevoked', data: { ...ids, familyIds: ['f1'], accessTokenIds: ['a1'], reason: 'consent-withdrawn', revokedAt: at(5000) } },
    ]);
    spec.given(history).when({ type: 'WithdrawConsent', tenantId: 't2', now: at(5000) }).thenRejects('GrantNotFound');
  });

  it('a client revoking its refresh token ends that family, access tokens included; once, and only its own', () => {
    const history = [code, issued(1, 'authorization_code', at(1000)), issued(2, 'refresh_token', at(2000))];
    const revokeIt = (refreshId: string, clientId = 'c1') => ({ type: 'RevokeRefreshToken' as const, refreshId, clientId, now: at(4000) });
    const revoked = { type: 'UserTokensRevoked' as const, data: { ...ids, familyIds: ['f1'], accessTokenIds: ['a1', 'a2'], reason: 'revoked-by-client' as const, revokedAt: at(4000) } };
    spec.given(history).when(revokeIt('r2')).then([revoked]);
    spec.given([...history, revoked]).when(revokeIt('r2')).then([]);
    spec.given(history).when(revokeIt('r2', 'c2')).thenRejects('GrantNotFound');
    spec.given(history).when(revokeIt('r9')).thenRejects('GrantNotFound');
  });

  it('a long session: after 300 rotations the last refresh token is the current one, and reusing any earlier one revokes all 301 access tokens', () => {
    const rotations = Array.from({ length: 300 }, (_, i) => issued(i + 2, 'refresh_token', at(1000 * (i + 2))));
    const history = [code, issued(1, 'authorization_code', at(1000)), ...rotations];
    const refresh = (refreshId: string, now: string) => ({ type: 'RefreshTokens' as const, refreshId, tokens: tokens(302), now });
    const { familyId: _familyId, ...next } = tokens(302);
    expect(refresh('r301', at(400_000)).tokens).toMatchObject(next);
    spec.given(history).when(refresh('r301', at(400_000))).then([issued(302, 'refresh_token', at(400_000))]);
    for (const reused of ['r1', 'r150', 'r300']) {
      spec
        .given(history)
        .when(refresh(reused, at(400_000)))
        .then([
          { type: 'RefreshTokenReused', data: { ...ids, familyId: 'f1', refreshId: reused, detectedAt: at(400_000) } },
          { type: 'UserTokensRevoked', data: { ...ids, familyIds: ['f1'], accessTokenIds: Array.from({ length: 301 }, (_, i) => `a${i + 1}`), reason: 'refresh-token-reused', revokedAt: at(400_000) } },
        ]);
    }
  });

  it('a revocation lists the families in the order they began, however many there are', () => {
    const family = (n: number): UserTokensIssued => {
      const first = issued(1, 'authorization_code', at(1000 * n));
      return { ...first, data: { ...first.data, familyId: `f${n}`, accessTokenId: `a-f${n}`, refresh: { ...first.data.refresh!, refreshId: `r-f${n}` } } };
    };
    // Past eight entries a hash map's iteration order is no longer the order of insertion.
    const order = [7, 3, 19, 1, 12, 5, 16, 9, 2, 14, 11, 20, 4, 8, 17, 6, 13, 10, 18, 15];
    spec.given([code, ...order.map(family)]).when({ type: 'WithdrawConsent', tenantId: 't1', now: at(60_000) }).then([
      { type: 'ConsentWithdrawn', data: { ...ids, withdrawnAt: at(60_000) } },
      {
        type: 'UserTokensRevoked',
        data: { ...ids, familyIds: order.map((n) => `f${n}`), accessTokenIds: order.map((n) => `a-f${n}`), reason: 'consent-withdrawn', revokedAt: at(60_000) },
      },
    ]);
  });
});
