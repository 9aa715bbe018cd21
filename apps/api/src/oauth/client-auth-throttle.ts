import { Injectable } from '@nestjs/common';

/** Failures of one client from one source that cost nothing: typos, a stale secret in a config. */
const FREE_FAILURES = 5;
/** The delay after the first failure beyond the free ones; it doubles with each further one. */
const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 15 * 60_000;
/** A (client, source) pair with no failure for this long starts again from nothing. */
const FORGET_AFTER_MS = 15 * 60_000;
/** Bounds memory under a spray of random client ids: the pairs idle the longest go first. */
const MAX_TRACKED_KEYS = 100_000;

type Failures = { count: number; lastAt: number; blockedUntil: number };

/**
 * Slows down guessing of client secrets, per (client id, source address) pair: after five
 * failures, each further one delays the next attempt of that pair, 1 s then doubling up to
 * 15 minutes; a success clears the pair. Nothing is a hard lock: once the delay has passed the
 * right secret works again, and a guesser elsewhere, or failing against other clients, neither
 * locks a client out nor shares its delay. Client secrets are 49 random base62 characters (about 290 bits), so the
 * throttle is against noise and online guessing of weak, pasted or leaked-in-part secrets,
 * not what keeps them unguessable. Written here rather than with @fastify/rate-limit because
 * it counts failures per client id, which that plugin cannot see.
 */
@Injectable()
export class ClientAuthThrottle {
  private readonly pairs = new Map<string, Failures>();

  /** Seconds until this client may be tried again from this source, or 0 when it may now. */
  retryAfterSeconds(clientId: string, source: string, now = Date.now()): number {
    // Nothing failed lately, the usual case: no pair's key need be made (a JSON text per request).
    if (this.pairs.size === 0) return 0;
    const failures = this.current(pairKey(clientId, source), now);
    return failures && failures.blockedUntil > now ? Math.ceil((failures.blockedUntil - now) / 1000) : 0;
  }

  recordFailure(clientId: string, source: string, now = Date.now()): void {
    const key = pairKey(clientId, source);
    const count = (this.current(key, now)?.count ?? 0) + 1;
    const delay = count > FREE_FAILURES ? Math.min(FIRST_DELAY_MS * 2 ** (count - FREE_FAILURES - 1), MAX_DELAY_MS) : 0;
    // Re-inserted so that the map's order is the order of last failure, oldest first.
    this.pairs.delete(key);
    this.pairs.set(key, { count, lastAt: now, blockedUntil: now + delay });
    while (this.pairs.size > MAX_TRACKED_KEYS) this.pairs.delete(this.pairs.keys().next().value!);
  }

  recordSuccess(clientId: string, source: string): void {
    if (this.pairs.size > 0) this.pairs.delete(pairKey(clientId, source));
  }

  private current(key: string, now: number): Failures | null {
    const failures = this.pairs.get(key);
    if (failures && now - failures.lastAt < FORGET_AFTER_MS) return failures;
    this.pairs.delete(key);
    return null;
  }
}

const pairKey = (clientId: string, source: string) => JSON.stringify([clientId, source]);
