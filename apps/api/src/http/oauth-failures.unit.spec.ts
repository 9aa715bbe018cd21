import { ApplicationError, ApplicationFailureKind, FailureMapping } from '@keyhold/application';
import { OAUTH_ERROR_BY_FAILURE, oauthErrorOf } from './oauth-failures';
import { ONE_OF_EACH } from '../../../../libs/application/src/testing/failures';

describe('ApplicationError on the OAuth endpoints', () => {
  it('is exhaustive at compile time: a mapping that forgets a kind does not typecheck', () => {
    const { 'rate-limited': _forgotten, ...rest } = OAUTH_ERROR_BY_FAILURE;
    // @ts-expect-error 'rate-limited' is missing: the OAuth edge must say how it answers every kind.
    const incomplete: FailureMapping<unknown> = rest;
    expect(Object.keys(incomplete)).not.toContain('rate-limited');
  });

  it.each(Object.values(ONE_OF_EACH))('answers $kind with an RFC 6749 code, or as a problem when the server failed', (failure) => {
    const expected: Record<ApplicationFailureKind, [string, number] | null> = {
      rejected: ['invalid_request', 403],
      invalid: ['invalid_request', 400],
      'not-found': ['invalid_request', 404],
      forbidden: ['insufficient_scope', 403],
      'stale-revision': ['invalid_request', 412],
      conflict: ['invalid_request', 409],
      'not-enforced-yet': ['temporarily_unavailable', 503],
      'rate-limited': ['invalid_grant', 429],
      unavailable: null,
      'outbound-refused': ['invalid_request', 422],
      'outbound-failed': ['invalid_request', 502],
    };
    const answer = oauthErrorOf(new ApplicationError(failure));
    expect(answer && [answer.error, answer.status]).toEqual(expected[failure.kind]);
  });

  it('answers a refused grant with invalid_grant, and a throttled one with Retry-After', () => {
    expect(oauthErrorOf(ApplicationError.rejected({ code: 'InvalidGrant', message: 'The authorization code is not valid.' }))).toMatchObject({
      error: 'invalid_grant',
      status: 400,
      description: 'The authorization code is not valid.',
    });
    expect(oauthErrorOf(new ApplicationError(ONE_OF_EACH['rate-limited']))?.headers).toEqual({ 'Retry-After': '30' });
  });
});
