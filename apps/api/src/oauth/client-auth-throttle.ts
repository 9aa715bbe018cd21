import { Injectable } from '@nestjs/common';

const WINDOW_MS = 5 * 60_000;
const MAX_FAILURES_PER_CLIENT = 10;
const MAX_FAILURES_PER_SOURCE = 30;
/** Bounds memory under a spray of random client ids: the oldest windows go first. */
const MAX_TRACKED_KEYS = 100_000;

type Window = { failures: number; startedAt: number };

/**
 * Slows down guessing of client secrets: after too many failed authentications for one client
 * id, or from one source address, within a window, further attempts are refused until the
 * window ends, whether or not the secret is right. Written here rather than with
 * @fastify/rate-limit because it counts failures per client id, which that plugin cannot see.
 */
@Injectable()
export class ClientAuthThrottle {
  private readonly windows = new Map<string, Window>();

  /** Seconds until attempts are allowed again, or 0 when they are allowed now. */
  retryAfterSeconds(clientId: string, source: string, now = Date.now()): number {
    const waits = [
      this.waitFor(`client:${clientId}`, MAX_FAILURES_PER_CLIENT, now),
      this.waitFor(`source:${source}`, MAX_FAILURES_PER_SOURCE, now),
    ];
    return Math.max(...waits);
  }

  recordFailure(clientId: string, source: string, now = Date.now()): void {
    for (const key of [`client:${clientId}`, `source:${source}`]) {
      const window = this.windows.get(key);
      if (!window || now - window.startedAt >= WINDOW_MS) {
        this.windows.delete(key);
        this.windows.set(key, { failures: 1, startedAt: now });
      } else {
        window.failures += 1;
      }
    }
    while (this.windows.size > MAX_TRACKED_KEYS) this.windows.delete(this.windows.keys().next().value!);
  }

  private waitFor(key: string, limit: number, now: number): number {
    const window = this.windows.get(key);
    if (!window || window.failures < limit || now - window.startedAt >= WINDOW_MS) return 0;
    return Math.ceil((window.startedAt + WINDOW_MS - now) / 1000);
  }
}
