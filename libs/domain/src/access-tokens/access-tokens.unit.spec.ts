import { deciderSpec } from '../testing/decider-spec';
import { AccessTokenEvent, accessTokenDecider, accessTokenIssuanceDecider, AccessTokensIssued, issuanceStreamId, issuanceWindowOf, RevokeAccessToken } from './access-tokens';

const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-01T00:30:00.000Z';
const EXPIRY = '2026-01-01T01:00:00.000Z';
const revoke: RevokeAccessToken = { type: 'RevokeAccessToken', tenantId: 'tenant-1', tokenId: 'token-1', clientId: 'client-1', expiresAt: EXPIRY, revokedBy: 'client-1', now: T1 };
const revoked: AccessTokenEvent = {
  type: 'AccessTokenRevoked',
  data: { tenantId: 'tenant-1', tokenId: 'token-1', clientId: 'client-1', revokedAt: T1, revokedBy: 'client-1', expiresAt: EXPIRY },
};
const legacyIssued: AccessTokenEvent = {
  type: 'AccessTokenIssued',
  data: { tenantId: 'tenant-1', tokenId: 'token-1', clientId: 'client-1', clientKind: 'service_account', scope: [], secretHash: 'hash', hashKeyId: 'k1', clientGeneration: 0, issuedAt: T0, expiresAt: EXPIRY },
};

describe('Access token decider', () => {
  const spec = deciderSpec(accessTokenDecider);

  it('revokes a sealed token (no stream before) once, remembering its expiry', () => {
    spec.given([]).when(revoke).then([revoked]);
    spec.given([revoked]).when(revoke).thenNothing();
  });

  it('revokes a token issued before tokens were sealed', () => spec.given([legacyIssued]).when(revoke).then([revoked]));

  it('records nothing for a token that has expired: it is dead anyway', () => spec.given([]).when({ ...revoke, now: EXPIRY }).thenNothing());
});

describe('Access token issuance decider', () => {
  const spec = deciderSpec(accessTokenIssuanceDecider);
  const data: AccessTokensIssued['data'] = {
    tenantId: 'tenant-1',
    clientId: 'client-1',
    clientKind: 'service_account',
    clientGeneration: 0,
    ...issuanceWindowOf(T1),
    tokenId: 'token-1',
    scope: ['tokens:introspect'],
    issuedAt: T1,
    expiresAt: EXPIRY,
  };

  it('records a client’s hour of issuance once, whoever asks again', () => {
    spec.given([]).when({ type: 'RecordAccessTokenIssuance', ...data }).then([{ type: 'AccessTokensIssued', data }]);
    spec.given([{ type: 'AccessTokensIssued', data }]).when({ type: 'RecordAccessTokenIssuance', ...data, tokenId: 'token-2' }).thenNothing();
  });

  it('counts hours from the epoch: one stream per client, generation and hour', () => {
    expect(issuanceWindowOf('2026-01-01T00:59:59.999Z')).toEqual({ windowStart: T0, windowEnd: EXPIRY });
    expect(issuanceWindowOf(EXPIRY).windowStart).toBe(EXPIRY);
    expect(issuanceStreamId('client-1', 2, T0)).toBe(`client-1.2.${Date.parse(T0) / 3_600_000}`);
  });
});
