import { FailureMapping } from '@keyhold/application';

/**
 * The error code a command's result carries when its use case failed: a domain refusal's own
 * code, otherwise the same word the REST API's problem type ends with, so one client handles both.
 */
export const RESULT_CODE_BY_FAILURE: FailureMapping<string> = {
  rejected: ({ rejection }) => rejection.code,
  invalid: () => 'validation-error',
  'not-found': () => 'not-found',
  forbidden: () => 'forbidden',
  'stale-revision': () => 'precondition-failed',
  conflict: () => 'concurrent-modification',
  'not-enforced-yet': () => 'revocation-pending',
  'rate-limited': () => 'rate-limited',
  unavailable: () => 'service-unavailable',
  'outbound-refused': () => 'outbound-refused',
  'outbound-failed': () => 'outbound-failed',
};

/** Why a message on the commands topic was not run: it goes to the dead-letter topic with this. */
export type RefusalCode = 'malformed' | 'invalid-envelope' | 'unauthenticated' | 'stale' | 'unknown-type' | 'validation-error';

/**
 * A message refused before its command id was claimed: nothing ran and nothing was recorded,
 * so the same id, sent again correctly, still runs. `commandId` is what the message claimed to
 * be, when it could be read, so that the requester hears of the refusal on its results key.
 */
export class CommandRefused extends Error {
  constructor(
    readonly code: RefusalCode,
    readonly reason: string,
    readonly commandId: string | null,
  ) {
    super(reason);
    this.name = 'CommandRefused';
  }
}
