import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { hostname } from 'node:os';
import { Logger } from 'pino';
import { BusSubscription, LIFECYCLE_TOPIC, LifecycleMessage, MESSAGE_BUS, MessageBus, ReceivedMessage } from '@keyhold/messaging';
import { KEYHOLD_CONFIG, KeyholdConfig, KeyholdMetrics, ROOT_LOGGER } from '@keyhold/platform';
import { denialsOf, EarlyDenials } from './early-denials';

const RESUBSCRIBE_AFTER_MS = 5000;

export type Freshness = {
  readonly state: 'fresh' | 'stale';
  /** When the relay was last heard from (a heartbeat or a lifecycle message), or this node started listening. */
  readonly lastHeardAt: string;
  readonly silentForMs: number;
  readonly boundMs: number;
};

/**
 * This node's ear on the lifecycle topic. Every API node reads it in its own consumer group, so
 * every node hears every revocation, and applies the denial at once, before its own
 * subscription to the log delivers the event. It also listens for the relay's heartbeat: a node
 * that has heard nothing for REVOCATION_STALENESS_MS cannot know which revocations it missed,
 * and is stale until it hears again (the credential index then confirms or refuses).
 */
@Injectable()
export class RevocationFeed implements OnModuleInit, OnModuleDestroy {
  private lastHeardAt = Date.now();
  private stale = false;
  private closed = false;
  private readonly subscriptions: BusSubscription[] = [];
  private watch?: NodeJS.Timeout;
  private resubscribe?: NodeJS.Timeout;

  constructor(
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    @Inject(KEYHOLD_CONFIG) private readonly config: KeyholdConfig,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
    private readonly denials: EarlyDenials,
    private readonly metrics: KeyholdMetrics,
  ) {
    metrics.gauge('keyhold_revocation_feed_silent_seconds', 'Time since this node last heard from the lifecycle relay (heartbeat or message).', () => this.freshness().silentForMs / 1000);
    metrics.gauge('keyhold_revocation_feed_stale', '1 while the lifecycle feed has been silent past REVOCATION_STALENESS_MS (verification then confirms or refuses), else 0.', () =>
      this.isStale() ? 1 : 0,
    );
  }

  /** Unique per node, so that no two nodes share the topic's partitions. */
  get groupId(): string {
    return `keyhold-node-${this.config.NODE_ID ?? `${hostname()}-${process.pid}`}`;
  }

  async onModuleInit(): Promise<void> {
    this.lastHeardAt = Date.now();
    this.watch = setInterval(() => this.isStale(), Math.min(1000, this.config.REVOCATION_STALENESS_MS / 4));
    this.watch.unref();
    await this.subscribe();
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    clearInterval(this.watch);
    clearTimeout(this.resubscribe);
    await Promise.all(this.subscriptions.splice(0).map((subscription) => subscription.close().catch(() => undefined)));
  }

  /** Whether the node has gone without news for longer than the bound; logs each change once. */
  isStale(now = Date.now()): boolean {
    const stale = now - this.lastHeardAt > this.config.REVOCATION_STALENESS_MS;
    if (stale !== this.stale) {
      this.stale = stale;
      const fields = { lastHeardAt: new Date(this.lastHeardAt).toISOString(), boundMs: this.config.REVOCATION_STALENESS_MS, mode: this.config.STALE_VERIFICATION };
      if (stale) this.logger.warn(fields, 'Revocation feed silent past its bound: the credential index is stale');
      else this.logger.info(fields, 'Revocation feed heard again: the credential index is fresh');
    }
    return stale;
  }

  freshness(now = Date.now()): Freshness {
    return {
      state: this.isStale(now) ? 'stale' : 'fresh',
      lastHeardAt: new Date(this.lastHeardAt).toISOString(),
      silentForMs: now - this.lastHeardAt,
      boundMs: this.config.REVOCATION_STALENESS_MS,
    };
  }

  private heard(): void {
    this.lastHeardAt = Date.now();
    this.isStale();
  }

  private readonly onLifecycleMessage = async (received: ReceivedMessage): Promise<void> => {
    this.heard();
    let message: LifecycleMessage;
    try {
      message = JSON.parse(received.value) as LifecycleMessage;
    } catch {
      this.logger.warn({ topic: received.topic, partition: received.partition, offset: received.offset }, 'Unreadable lifecycle message skipped');
      return;
    }
    if (typeof message.position !== 'string' || typeof message.subject?.id !== 'string') return;
    const recordedAt = Date.parse(message.occurredAt);
    if (denialsOf(message).length > 0 && Number.isFinite(recordedAt)) this.metrics.revocationPropagation.observe(Math.max(0, Date.now() - recordedAt) / 1000);
    const added = this.denials.record(message);
    if (added > 0) this.logger.debug({ eventType: message.eventType, eventId: message.eventId, position: message.position }, 'Lifecycle message denied ahead of the log');
  };

  private readonly onHeartbeat = async (): Promise<void> => this.heard();

  /**
   * Joins from the end of each topic: older messages are in the log the index loads from. A
   * failure to join leaves the node to go stale, and is retried in the background.
   */
  private async subscribe(): Promise<void> {
    try {
      if (this.subscriptions.length === 0) {
        this.subscriptions.push(await this.bus.subscribe({ topic: LIFECYCLE_TOPIC, groupId: this.groupId, fromBeginning: false, onMessage: this.onLifecycleMessage }));
      }
      this.subscriptions.push(
        await this.bus.subscribe({ topic: this.config.HEARTBEAT_TOPIC, groupId: `${this.groupId}.heartbeat`, fromBeginning: false, onMessage: this.onHeartbeat }),
      );
    } catch (error) {
      if (this.closed) return;
      this.logger.error({ err: error, groupId: this.groupId }, 'Could not join the lifecycle topics; retrying');
      this.resubscribe = setTimeout(() => void this.subscribe(), RESUBSCRIBE_AFTER_MS);
      this.resubscribe.unref();
    }
  }
}
