const MAX_FAILURES = 5;
const WINDOW_MS = 15 * 60 * 1000;

/**
 * Throttles password guessing per user on this node: after five attempts that did not succeed
 * within fifteen minutes, further attempts are refused (even right ones) until the oldest leaves
 * the window. An attempt is counted when it starts, before the slow scrypt check, so that many
 * guesses sent at once cannot all be checked before the first failure is recorded; a success
 * clears the count. Per node and in memory: a cluster multiplies the budget
 * by its size, which still bounds a guesser to a handful of tries per quarter hour.
 */
export class PasswordAttempts {
  private readonly failures = new Map<string, number[]>();

  /**
   * Starts an attempt: 0 when it may go ahead (it is counted as a failure until it succeeds),
   * otherwise the seconds until the user may try again (and nothing is counted).
   */
  begin(userId: string, now = Date.now()): number {
    const recent = this.recent(userId, now);
    if (recent.length >= MAX_FAILURES) return Math.ceil((recent[0] + WINDOW_MS - now) / 1000);
    this.failures.set(userId, [...recent, now]);
    return 0;
  }

  succeeded(userId: string): void {
    this.failures.delete(userId);
  }

  private recent(userId: string, now: number): number[] {
    const recent = (this.failures.get(userId) ?? []).filter((at) => at > now - WINDOW_MS);
    if (recent.length === 0) this.failures.delete(userId);
    else this.failures.set(userId, recent);
    return recent;
  }
}
