import { Injectable } from '@nestjs/common';

const MAX_FAILURES = 5;
const WINDOW_MS = 15 * 60 * 1000;

/**
 * Throttles password guessing per user on this node: after five wrong passwords within fifteen
 * minutes, further attempts are refused (even right ones) until the oldest failure leaves the
 * window. A success clears the count. Per node and in memory: a cluster multiplies the budget
 * by its size, which still bounds a guesser to a handful of tries per quarter hour.
 */
@Injectable()
export class PasswordAttempts {
  private readonly failures = new Map<string, number[]>();

  /** Seconds until the user may try again, or 0 when they may now. */
  retryAfterSeconds(userId: string, now = Date.now()): number {
    const recent = this.recent(userId, now);
    return recent.length >= MAX_FAILURES ? Math.ceil((recent[0] + WINDOW_MS - now) / 1000) : 0;
  }

  failed(userId: string, now = Date.now()): void {
    this.failures.set(userId, [...this.recent(userId, now), now]);
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
