/**
 * Expiry is a fact of time, not an event: whatever carries an expiry instant has expired once
 * `now` reaches it (the instant itself included), and an instant of null never comes. Both are
 * ISO-8601 instants as the service writes them (`toISOString`), so they compare as strings.
 */
export const hasExpired = (expiresAt: string | null, now: string): boolean => expiresAt !== null && expiresAt <= now;
