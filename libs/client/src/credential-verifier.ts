import { createHash } from 'node:crypto';
import { BusSubscription, HEARTBEAT_TOPIC, LIFECYCLE_TOPIC, LifecycleMessage, MessageBus } from '@keyhold/messaging';
import { bodyOf, Introspection, KeyholdApi } from './keyhold-client';

export type CredentialVerifierOptions = {
  /** How long an answer is reused; default 30 s. */
  readonly ttlMs?: number;
  /** How many answers are kept; the oldest goes first. Default 10,000. */
  readonly maxEntries?: number;
  /**
   * How long the cache is trusted without word from the lifecycle topic (a message or the
   * relay's heartbeat): Keyhold's REVOCATION_STALENESS_MS. Past it, every call asks Keyhold.
   */
  readonly feedBoundMs?: number;
  readonly now?: () => number;
};

type Entry = { readonly answer: Introspection; readonly until: number };

/** The ids a lifecycle message may name for a cached credential: itself, its actor, its client. */
const idsOf = (answer: Introspection): string[] => [answer.jti, answer.sub, answer.client_id].filter((id): id is string => typeof id === 'string');

/**
 * Verifies credentials for an internal service by RFC 7662 introspection, with a small cache
 * keyed by the secret's SHA-256 (the secret itself is never kept). The lifecycle topic drops
 * what a message names (the credential, or the actor or client it speaks for: revoked, reset,
 * rights changed), so a revocation is honoured as soon as the topic delivers it; and while the
 * topic is silent past its bound, nothing cached is trusted. The service's token needs
 * `tokens:introspect`.
 */
export class CredentialVerifier {
  private readonly cache = new Map<string, Entry>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly feedBoundMs: number;
  private readonly now: () => number;
  private lastHeardAt: number;
  private readonly subscriptions: BusSubscription[] = [];

  constructor(
    private readonly api: KeyholdApi,
    options: CredentialVerifierOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 30_000;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.feedBoundMs = options.feedBoundMs ?? 5_000;
    this.now = options.now ?? Date.now;
    this.lastHeardAt = this.now();
  }

  /** Listens to the lifecycle topic and the relay's heartbeat in the service's own consumer group. */
  async listen(bus: MessageBus, groupId: string, heartbeatTopic = HEARTBEAT_TOPIC): Promise<void> {
    this.lastHeardAt = this.now();
    this.subscriptions.push(
      await bus.subscribe({ topic: LIFECYCLE_TOPIC, groupId, fromBeginning: false, onMessage: async ({ value }) => this.onLifecycleMessage(value) }),
      await bus.subscribe({ topic: heartbeatTopic, groupId: `${groupId}.heartbeat`, fromBeginning: false, onMessage: async () => void (this.lastHeardAt = this.now()) }),
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.subscriptions.splice(0).map((subscription) => subscription.close()));
  }

  /** What Keyhold says of the credential now, or said within the TTL and nothing since revoked. */
  async verify(secret: string): Promise<Introspection> {
    const key = createHash('sha256').update(secret).digest('base64url');
    const now = this.now();
    const cached = this.cache.get(key);
    if (cached && cached.until > now && now - this.lastHeardAt <= this.feedBoundMs) return cached.answer;
    const answer = await bodyOf(this.api.POST('/oauth/introspect', { body: { token: secret }, bodySerializer: (body) => new URLSearchParams(body as Record<string, string>).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } }));
    const expiresAt = answer.exp === undefined ? Infinity : answer.exp * 1000;
    this.cache.delete(key);
    this.cache.set(key, { answer, until: Math.min(now + this.ttlMs, expiresAt) });
    if (this.cache.size > this.maxEntries) this.cache.delete(this.cache.keys().next().value!);
    return answer;
  }

  get size(): number {
    return this.cache.size;
  }

  private onLifecycleMessage(value: string): void {
    this.lastHeardAt = this.now();
    let subject: LifecycleMessage['subject'] | undefined;
    try {
      subject = (JSON.parse(value) as LifecycleMessage).subject;
    } catch {
      return;
    }
    if (typeof subject?.id !== 'string') return;
    for (const [key, entry] of this.cache) {
      if (idsOf(entry.answer).includes(subject.id)) this.cache.delete(key);
    }
  }
}
