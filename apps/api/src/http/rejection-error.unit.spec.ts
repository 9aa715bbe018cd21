import { ApplicationError, ApplicationFailureKind, FailureMapping } from '@keyhold/application';
import { ONE_OF_EACH } from '../../../../libs/application/src/testing/failures';
import { PROBLEM_KINDS } from './problem';
import { PROBLEM_BY_FAILURE, problemOf } from './rejection-error';

describe('ApplicationError as problem+json', () => {
  it('is exhaustive at compile time: a mapping that forgets a kind does not typecheck', () => {
    const { unavailable: _forgotten, ...rest } = PROBLEM_BY_FAILURE;
    // @ts-expect-error 'unavailable' is missing: every edge must say how it answers every kind.
    const incomplete: FailureMapping<unknown> = rest;
    expect(Object.keys(incomplete)).not.toContain('unavailable');
  });

  it.each(Object.values(ONE_OF_EACH))('answers $kind with its own status and the failure message', (failure) => {
    const problem = problemOf(new ApplicationError(failure));
    const expected: Record<ApplicationFailureKind, number> = {
      rejected: 403,
      invalid: 400,
      'not-found': 404,
      forbidden: 403,
      'stale-revision': 412,
      conflict: 409,
      'not-enforced-yet': 503,
      'rate-limited': 429,
      unavailable: 503,
      'outbound-refused': 422,
      'outbound-failed': 502,
    };
    expect(problem.status).toBe(expected[failure.kind]);
    expect(PROBLEM_KINDS[problem.kind].status).toBe(problem.status);
    expect(problem.detail).toBe(new ApplicationError(failure).message);
  });

  it('keeps a rejection code and the permissions the caller lacked; a retry delay for Retry-After', () => {
    expect(problemOf(new ApplicationError(ONE_OF_EACH.rejected)).toDocument('/x')).toMatchObject({ code: 'AuthorityExceeded', missingPermissions: ['users:write'], type: 'https://keyhold.dev/problems/authority-exceeded' });
    expect(problemOf(new ApplicationError(ONE_OF_EACH['not-enforced-yet'])).extensions).toEqual({ retryAfterSeconds: 1 });
    expect(problemOf(new ApplicationError(ONE_OF_EACH.invalid)).extensions).toEqual({ errors: [{ field: 'label', messages: ['Bad input.'] }] });
    expect(problemOf(new ApplicationError(ONE_OF_EACH['stale-revision'])).kind).toBe('precondition-failed');
  });
});
