import { ApplicationFailure, ApplicationFailureKind } from '../application-error';

/** One failure of every kind; the record is complete by type, so a new kind fails `tsc` here too. */
export const ONE_OF_EACH: { [Kind in ApplicationFailureKind]: Extract<ApplicationFailure, { kind: Kind }> } = {
  rejected: { kind: 'rejected', rejection: { code: 'AuthorityExceeded', message: 'No.', missing: ['users:write'] } },
  invalid: { kind: 'invalid', message: 'Bad input.', field: 'label' },
  'not-found': { kind: 'not-found', message: 'Gone.' },
  forbidden: { kind: 'forbidden', message: 'Not yours.' },
  'stale-revision': { kind: 'stale-revision', message: 'Changed.' },
  conflict: { kind: 'conflict', message: 'Busy.' },
  'not-enforced-yet': { kind: 'not-enforced-yet', message: 'Soon.', retryAfterSeconds: 1 },
  'rate-limited': { kind: 'rate-limited', message: 'Slow down.', retryAfterSeconds: 30 },
  unavailable: { kind: 'unavailable', message: 'Down.' },
  'outbound-refused': { kind: 'outbound-refused', message: 'Not there.' },
  'outbound-failed': { kind: 'outbound-failed', message: 'Answered 500.' },
};
