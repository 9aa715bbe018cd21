import { answerFailure, ApplicationError, FailureMapping } from '@keyhold/application';
import { OAuthError } from './problem';
import { PROBLEM_BY_FAILURE } from './rejection-error';

/**
 * Each application failure as the OAuth endpoints answer it (RFC 6749 §5.2, RFC 6750 §3.1),
 * complete by type as the problem+json mapping is: a refused grant is `invalid_grant`, a
 * throttled password grant `invalid_grant` with Retry-After, other refusals `invalid_request`
 * with the status their problem has. Null: a failure of the server, answered as a problem.
 */
export const OAUTH_ERROR_BY_FAILURE: FailureMapping<OAuthError | null> = {
  rejected: (failure) =>
    failure.rejection.code === 'InvalidGrant'
      ? new OAuthError('invalid_grant', failure.rejection.message)
      : new OAuthError('invalid_request', failure.rejection.message, PROBLEM_BY_FAILURE.rejected(failure).status),
  invalid: ({ message }) => new OAuthError('invalid_request', message),
  'not-found': ({ message }) => new OAuthError('invalid_request', message, 404),
  forbidden: ({ message }) => new OAuthError('insufficient_scope', message, 403, 'Bearer error="insufficient_scope"'),
  'stale-revision': ({ message }) => new OAuthError('invalid_request', message, 412),
  conflict: ({ message }) => new OAuthError('invalid_request', message, 409),
  // RFC 7009 §2.2.1: 503 tells the client to assume the token still valid and retry.
  'not-enforced-yet': ({ message, retryAfterSeconds }) => new OAuthError('temporarily_unavailable', message, 503, null, { 'Retry-After': String(retryAfterSeconds) }),
  'rate-limited': ({ message, retryAfterSeconds }) => new OAuthError('invalid_grant', message, 429, null, { 'Retry-After': String(retryAfterSeconds) }),
  unavailable: () => null,
  'outbound-refused': ({ message }) => new OAuthError('invalid_request', message, 422),
  'outbound-failed': ({ message }) => new OAuthError('invalid_request', message, 502),
};

export const oauthErrorOf = (error: ApplicationError): OAuthError | null => answerFailure(OAUTH_ERROR_BY_FAILURE, error.failure);
