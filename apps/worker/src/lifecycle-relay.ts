import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Logger } from 'pino';
import { GlobalPosition, RecordedEvent } from '@keyhold/event-store';
import { BusMessage, LIFECYCLE_TOPIC, lifecycleMessageFor, MESSAGE_BUS, MessageBus, relayHeartbeatMessage } from '@keyhold/messaging';
import { KEYHOLD_CONFIG, KeyholdConfig, ROOT_LOGGER } from '@keyhold/platform';
import { Projection } from '@keyhold/read-models';
import { SpanKind } from '@opentelemetry/api';
import { traced } from '@keyhold/tracing';

/** API nodes count a node stale after REVOCATION_STALENESS_MS (5 s by default) without one. */
const HEARTBEAT_INTERVAL_MS = 1000;

/**
 * Publishes the log's lifecycle events to the bus from a checkpointed subscription, never from
 * a command handler: a command is done once its events are stored, whether or not Kafka is up.
 * A page of events goes in one publish (for Kafka, one produce request, in log order within each
 * partition): one request per event, acknowledged by every replica, cost the worker about 500 us
 * of CPU per event. A publish that fails throws, so the runner retries the same page with back-off
 * and the checkpoint never passes an unpublished event (at least once: consumers must be idempotent).
 *
 * Every second it also publishes a heartbeat with the last position it published, so that API
 * nodes can tell a quiet log from a relay (or a Kafka) that is gone. While an event fails to
 * publish it stays silent: a relay stuck behind an event must look as dead as a stopped one.
 */
@Injectable()
export class LifecycleRelay implements Projection, OnModuleInit, OnApplicationShutdown {
  readonly name = 'lifecycle-relay';
  private lastPublished: GlobalPosition | null = null;
  private stuck = false;
  private heartbeats?: NodeJS.Timeout;
  private beating = false;

  constructor(
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    @Inject(KEYHOLD_CONFIG) private readonly config: KeyholdConfig,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  apply(event: RecordedEvent): Promise<void> {
    return this.applyPage([event]);
  }

  async applyPage(events: readonly RecordedEvent[]): Promise<void> {
    const messages = events.map(lifecycleMessageFor).filter((message): message is BusMessage => message !== null);
    try {
      if (messages.length > 0) {
        // A child of the runner's page span, which names the requests the events came from.
        const attributes = { 'messaging.destination.name': LIFECYCLE_TOPIC, 'messaging.batch.message_count': messages.length };
        await traced('relay publish', attributes, () => this.bus.publish(LIFECYCLE_TOPIC, messages), SpanKind.PRODUCER);
      }
    } catch (error) {
      this.stuck = true;
      throw error;
    }
    this.stuck = false;
    this.lastPublished = events[events.length - 1].globalPosition;
  }

  onModuleInit(): void {
    this.heartbeats = setInterval(() => void this.beat(), HEARTBEAT_INTERVAL_MS);
    this.heartbeats.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.heartbeats);
  }

  private async beat(): Promise<void> {
    // A heartbeat still waiting for Kafka's answer is not followed by another.
    if (this.stuck || this.beating) return;
    this.beating = true;
    try {
      await this.bus.publish(this.config.HEARTBEAT_TOPIC, [relayHeartbeatMessage(this.lastPublished, new Date().toISOString())]);
    } catch (error) {
      this.logger.debug({ err: error }, 'Relay heartbeat not published');
    } finally {
      this.beating = false;
    }
  }
}
