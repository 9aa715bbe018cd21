import { upcastTokenIssuedV1 } from './personal-tokens/personal-tokens';
import { defineEventSchemas, upcaster } from './shared/upcasting';

/**
 * Every change of an event's data shape, in order per type. A type listed here with n
 * upcasters is written at version n + 1; every other type is at version 1. Add a change by
 * appending its upcaster, never by editing one already released: stored events depend on it.
 */
export const EVENT_SCHEMAS = defineEventSchemas({
  TokenIssued: [upcaster(upcastTokenIssuedV1)],
});
