/** A message as it travels: never a secret inside, see the topic contracts. */
export type BusMessage = {
  /** Partitioning key: the aggregate id, so one credential's messages stay in order. */
  readonly key: string;
  readonly value: string;
  readonly headers: Readonly<Record<string, string>>;
};

export type ReceivedMessage = BusMessage & { readonly topic: string; readonly partition: number; readonly offset: string };

export type MessageHandler = (message: ReceivedMessage) => Promise<void>;

export type SubscribeOptions = {
  readonly topic: string;
  /** Consumers in one group share the messages; every group gets every message. */
  readonly groupId: string;
  /** Where a group with no committed offset starts: the oldest message, or only new ones. */
  readonly fromBeginning: boolean;
  /**
   * Called once per message, in order per key. A handler that throws gets the same message
   * again after a back-off (at-least-once): handlers must be idempotent.
   */
  readonly onMessage: MessageHandler;
};

export type BusSubscription = { close(): Promise<void> };

/** The message bus: an in-process adapter for the embedded default, Kafka in production. */
export interface MessageBus {
  /** Resolves once the bus has accepted every message (for Kafka: acknowledged by the broker). */
  publish(topic: string, messages: readonly BusMessage[]): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<BusSubscription>;
  /**
   * Makes sure the topics exist and can be used (for Kafka: created with this bus's partition
   * count, their leaders elected), for a consumer that does not subscribe through this bus.
   */
  ensureTopics(topics: readonly string[]): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const MESSAGE_BUS = Symbol('MessageBus');
