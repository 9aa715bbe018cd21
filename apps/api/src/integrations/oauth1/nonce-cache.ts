import { Injectable } from '@nestjs/common';
import { TIMESTAMP_WINDOW_SECONDS } from './oauth1-signature';

/** Above this many remembered nonces, the expired ones are swept before a new one is kept. */
const SWEEP_ABOVE = 10_000;

/**
 * Nonces seen with valid signatures, per consumer key, for as long as their timestamp could
 * still be accepted (RFC 5849 §3.3): a request replayed within the window is refused, one
 * replayed after it fails the timestamp check. Kept in this node's memory: behind a load
 * balancer, requests of one consumer must stick to one node, or replays across nodes pass.
 */
@Injectable()
export class NonceCache {
  private readonly seen = new Map<string, number>();

  /** True the first time this (consumer, timestamp, nonce) is used; false on any replay. */
  use(consumerId: string, timestamp: string, nonce: string, nowMs: number): boolean {
    const key = `${consumerId}\u0000${timestamp}\u0000${nonce}`;
    const expiry = this.seen.get(key);
    if (expiry !== undefined && expiry > nowMs) return false;
    if (this.seen.size >= SWEEP_ABOVE) {
      for (const [entry, until] of this.seen) if (until <= nowMs) this.seen.delete(entry);
    }
    this.seen.set(key, nowMs + 2 * TIMESTAMP_WINDOW_SECONDS * 1000);
    return true;
  }
}
