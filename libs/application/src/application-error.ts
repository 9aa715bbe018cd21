import { DomainRejection } from '@keyhold/domain';

/**
 * Why a use case did not do what it was asked, as the edges must tell it apart. Each edge maps
 * every kind (HTTP to problem+json, Kafka to its refusal codes, the CLI to a message and an exit
 * code) with a record or switch the compiler checks is complete, so a new kind fails `tsc` at
 * every edge that forgot it. No message carries a secret: edges show them as they are.
 */
export type ApplicationFailure =
  /** A decider refused: the domain's own code, mapped per code at each edge. */
  | { readonly kind: 'rejected'; readonly rejection: DomainRejection }
  /** The input breaks a rule the use case checks before the domain sees it; `field` names the input at fault. */
  | { readonly kind: 'invalid'; readonly message: string; readonly field?: string }
  /** The resource does not exist for this caller (another tenant's never does). */
  | { readonly kind: 'not-found'; readonly message: string }
  /** The caller's credential lacks what the operation needs. */
  | { readonly kind: 'forbidden'; readonly message: string }
  /** The caller changed what it saw at an older revision (If-Match): read again, then decide. */
  | { readonly kind: 'stale-revision'; readonly message: string }
  /** The resource kept changing under the pipeline's retries; the same request may succeed. */
  | { readonly kind: 'conflict'; readonly message: string }
  /** The change is recorded but this node does not enforce it yet; repeating it is safe. */
  | { readonly kind: 'not-enforced-yet'; readonly message: string; readonly retryAfterSeconds: number }
  /** Too many attempts: try again after the delay. */
  | { readonly kind: 'rate-limited'; readonly message: string; readonly retryAfterSeconds: number }
  /** Something the use case depends on (a key, a store) cannot serve it now. */
  | { readonly kind: 'unavailable'; readonly message: string }
  /** Keyhold may not call the URL (the outbound policy refused it before any connection). */
  | { readonly kind: 'outbound-refused'; readonly message: string }
  /** The remote server Keyhold called (a token URL, a callback URL) did not answer as expected. */
  | { readonly kind: 'outbound-failed'; readonly message: string };

export type ApplicationFailureKind = ApplicationFailure['kind'];

/** What use cases throw; `failure` is the value edges map, the message is the failure's own. */
export class ApplicationError extends Error {
  constructor(readonly failure: ApplicationFailure) {
    super(failure.kind === 'rejected' ? failure.rejection.message : failure.message);
    this.name = 'ApplicationError';
  }

  static rejected(rejection: DomainRejection): ApplicationError {
    return new ApplicationError({ kind: 'rejected', rejection });
  }

  static invalid(message: string, field?: string): ApplicationError {
    return new ApplicationError({ kind: 'invalid', message, ...(field ? { field } : {}) });
  }

  static notFound(message: string): ApplicationError {
    return new ApplicationError({ kind: 'not-found', message });
  }

  static forbidden(message: string): ApplicationError {
    return new ApplicationError({ kind: 'forbidden', message });
  }
}

/** The domain refusal an error carries, if it is one: for callers that answer one code their own way. */
export const rejectionOf = (error: unknown): DomainRejection | null =>
  error instanceof ApplicationError && error.failure.kind === 'rejected' ? error.failure.rejection : null;

/**
 * How an edge answers each kind of failure: one function per kind, the record complete by type,
 * so an edge that forgets a kind (or a kind added later) fails `tsc`.
 */
export type FailureMapping<Answer> = { readonly [Kind in ApplicationFailureKind]: (failure: Extract<ApplicationFailure, { kind: Kind }>) => Answer };

export const answerFailure = <Answer>(mapping: FailureMapping<Answer>, failure: ApplicationFailure): Answer =>
  // The record holds for each kind the function of that kind; TypeScript cannot follow the pairing through an index.
  (mapping[failure.kind] as (failure: ApplicationFailure) => Answer)(failure);
