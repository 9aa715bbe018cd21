import { deciderSpec } from '../testing/decider-spec';
import { AccessTokenEvent, accessTokenDecider, IssueAccessToken } from './access-tokens';

const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-01T00:30:00.000Z';
const issue: IssueAccessToken = {
  type: 'IssueAccessToken',
  tenantId: 'tenant-1',
  tokenId: 'token-1',
  clientId: 'client-1',
  clientKind: 'service_account',
  scope: ['tokens:introspect'],
  secretHash: 'hash',
  hashKeyId: 'k1',
  clientGeneration: 0,
  expiresAt: '2026-01-01T01:00:00.000Z',
  now: T0,
};
const { type: _type, now: _now, ...data } = issue;
const issued: AccessTokenEvent = { type: 'AccessTokenIssued', data: { ...data, issuedAt: T0 } };
const revoked: AccessTokenEvent = {
  type: 'AccessTokenRevoked',
  data: { tenantId: 'tenant-1', tokenId: 'token-1', clientId: 'client-1', revokedAt: T1, revokedBy: 'client-1' },
};
const spec = deciderSpec(accessTokenDecider);

describe('Access token decider', () => {
  it('issues a token once', () => {
    spec.given([]).when(issue).then([issued]);
    spec.given([issued]).when(issue).thenRejects('AccessTokenExists');
  });

  it('revokes once; revoking again is not an error', () => {
    spec.given([issued]).when({ type: 'RevokeAccessToken', revokedBy: 'client-1', now: T1 }).then([revoked]);
    spec.given([issued, revoked]).when({ type: 'RevokeAccessToken', revokedBy: 'client-1', now: T1 }).thenNothing();
  });

  it('cannot revoke a token that was never issued', () =>
    spec.given([]).when({ type: 'RevokeAccessToken', revokedBy: 'x', now: T1 }).thenRejects('AccessTokenNotFound'));
});
