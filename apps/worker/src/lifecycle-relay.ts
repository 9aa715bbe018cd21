import { RecordedEvent } from '@keyhold/event-store';
import { LIFECYCLE_TOPIC, lifecycleMessageFor, MessageBus } from '@keyhold/messaging';
import { Projection } from '@keyhold/read-models';

/**
 * Publishes the log's lifecycle events to the bus from a checkpointed subscription, never from
 * a command handler: a command is done once its events are stored, whether or not Kafka is up.
 * A publish that fails throws, so the runner retries the same event with back-off and the
 * checkpoint never passes an unpublished event (at least once; consumers dedupe on the event id).
 */
export const lifecycleRelay = (bus: MessageBus): Projection => ({
  name: 'lifecycle-relay',
  async apply(event: RecordedEvent) {
    const message = lifecycleMessageFor(event);
    if (message) await bus.publish(LIFECYCLE_TOPIC, [message]);
  },
});
