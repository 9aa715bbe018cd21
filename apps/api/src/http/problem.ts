/**
 * RFC 9457 problem details. Each kind has a stable `type` URI that clients may switch on; the
 * `detail` is for humans and never contains a secret.
 */
const PROBLEM_BASE = 'https://keyhold.dev/problems';

export const PROBLEM_KINDS = {
  'validation-error': { status: 400, title: 'The request is not valid.' },
  'malformed-request': { status: 400, title: 'The request could not be read.' },
  'invalid-cursor': { status: 400, title: 'The pagination cursor is not valid.' },
  unauthenticated: { status: 401, title: 'A valid bearer token is required.' },
  forbidden: { status: 403, title: 'The credential lacks a permission this operation needs.' },
  'authority-exceeded': { status: 403, title: 'The operation would give a credential more authority than the caller holds.' },
  'not-found': { status: 404, title: 'The resource does not exist.' },
  'label-taken': { status: 409, title: 'An active token with this label already exists.' },
  'too-many-tokens': { status: 409, title: 'The owner holds too many active tokens.' },
  'tenant-exists': { status: 409, title: 'The tenant already exists.' },
  'email-taken': { status: 409, title: 'A user with this e-mail already exists.' },
  'last-admin': { status: 409, title: 'A tenant must keep at least one admin.' },
  'concurrent-modification': { status: 409, title: 'The resource changed concurrently; retry the request.' },
  'permissions-reset-pending': { status: 409, title: 'A permissions reset is still being applied; retry shortly.' },
  'precondition-failed': { status: 412, title: 'The resource changed since the revision given in If-Match; read it again.' },
  'idempotency-key-reused': { status: 422, title: 'The idempotency key was used with a different request.' },
  'payload-too-large': { status: 413, title: 'The request body is too large.' },
  'unsupported-media-type': { status: 415, title: 'The request body has an unsupported media type.' },
  'method-not-allowed': { status: 405, title: 'The method is not allowed on this resource.' },
  'rate-limited': { status: 429, title: 'Too many requests.' },
  'service-unavailable': { status: 503, title: 'The service is temporarily unavailable.' },
  'revocation-pending': { status: 503, title: 'The revocation is recorded but this node does not enforce it yet; retry.' },
  'internal-error': { status: 500, title: 'The service failed to handle the request.' },
  'connection-deleted': { status: 410, title: 'The connection was deleted; its credential is gone for good.' },
  'domain-not-allowed': { status: 403, title: "The target domain is not among the connection's allowed domains." },
  'immutable-field': { status: 422, title: 'This field cannot change after creation.' },
  'unknown-resource': { status: 400, title: 'A resource named is not in the published catalogue.' },
  'integration-name-taken': { status: 409, title: 'An integration with this name already exists.' },
  'too-many-integrations': { status: 409, title: 'The tenant has too many integrations.' },
  'integration-deleted': { status: 410, title: 'The integration was deleted.' },
  'integration-already-active': { status: 409, title: 'The integration is already active.' },
  'integration-not-active': { status: 409, title: 'The integration is not active.' },
  'service-accounts-closed': { status: 403, title: 'Service accounts can no longer be created (service-wide cut-off).' },
  'outbound-refused': { status: 422, title: 'The URL may not be called from Keyhold (outbound policy).' },
  'outbound-failed': { status: 502, title: 'The remote server did not answer as expected.' },
  'password-incorrect': { status: 403, title: 'The password is not correct.' },
  'password-not-set': { status: 403, title: 'The user has no password yet.' },
  'too-many-client-secrets': { status: 409, title: 'The API client holds too many live secrets.' },
  'too-many-redirect-uris': { status: 409, title: 'The API client holds too many redirect URIs.' },
  'invitation-invalid': { status: 410, title: 'The invitation link is not valid any more.' },
  'invitation-accepted': { status: 409, title: 'The user has already accepted an invitation.' },
  'csrf-failed': { status: 403, title: 'The form could not be verified; reload the page and try again.' },
  'sign-in-failed': { status: 401, title: 'The organisation, e-mail or password is not correct.' },
} as const;

export type ProblemKind = keyof typeof PROBLEM_KINDS;

export type ProblemDocument = {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  [extension: string]: unknown;
};

export class Problem extends Error {
  constructor(
    readonly kind: ProblemKind,
    readonly detail: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail);
    this.name = 'Problem';
  }

  get status(): number {
    return PROBLEM_KINDS[this.kind].status;
  }

  toDocument(instance: string): ProblemDocument {
    const { status, title } = PROBLEM_KINDS[this.kind];
    return { type: `${PROBLEM_BASE}/${this.kind}`, title, status, detail: this.detail, instance, ...this.extensions };
  }
}

/** RFC 6749 §5.2 error codes, used on the OAuth endpoints instead of problem details. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'temporarily_unavailable';

export class OAuthError extends Error {
  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
    readonly status = 400,
    readonly wwwAuthenticate: string | null = null,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(description);
    this.name = 'OAuthError';
  }
}
