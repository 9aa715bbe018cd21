import { Admin, Consumer, EachBatchHandler, IHeaders, Kafka, KafkaMessage, logCreator, logLevel, Partitioners, Producer, RetryOptions } from 'kafkajs';
import { BusMessage, BusSubscription, MessageBus, ReceivedMessage, SubscribeOptions } from '../message-bus.port';

/** What the bus logs through; a pino logger fits. */
export type KafkaBusLogger = {
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
};

export type KafkaMessageBusOptions = {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly logger: KafkaBusLogger;
  /** For topics this bus creates: the most consumers one group can spread a topic over. */
  readonly numPartitions?: number;
  /** 1 suits a single broker; a production cluster wants 3. */
  readonly replicationFactor?: number;
};

const ACKS_ALL = -1;
/** A quarter of the broker's default limit on a record batch (message.max.bytes, 1 MiB), leaving room for framing. */
const PRODUCE_REQUEST_BYTES = 256 * 1024;

const sizeOf = ({ key, value, headers }: BusMessage) =>
  Buffer.byteLength(key) + Buffer.byteLength(value) + Object.entries(headers).reduce((sum, [name, text]) => sum + Buffer.byteLength(name) + Buffer.byteLength(text), 0);

/** Consecutive runs of `messages` of at most PRODUCE_REQUEST_BYTES each (a larger message alone), in order. */
export const inRequests = (messages: readonly BusMessage[]): BusMessage[][] => {
  const requests: BusMessage[][] = [];
  let current: BusMessage[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = sizeOf(message);
    if (current.length > 0 && bytes + size > PRODUCE_REQUEST_BYTES) {
      requests.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) requests.push(current);
  return requests;
};
const PING_TIMEOUT_MS = 2_000;
const JOIN_TIMEOUT_MS = 20_000;
const REDELIVERY_DELAY_MS = 200;
const MAX_REDELIVERY_DELAY_MS = 30_000;
/**
 * How long a fetch waits at the broker for new messages. kafkajs's 5 s default is also how
 * long stopping a consumer waits for the fetch in flight, and how long an idle consumer takes
 * to see that a paused partition was resumed.
 */
const MAX_WAIT_TIME_MS = 250;
/**
 * A member that vanished without leaving (its process or the broker died) holds its partitions
 * until its session times out: 30 s by default. Heartbeats go out between messages, so one
 * handler call must not take this long.
 */
const SESSION_TIMEOUT_MS = 10_000;
/** Members of a group learn of a rebalance from a heartbeat answer: 3 s by default. */
const HEARTBEAT_INTERVAL_MS = 1_000;

/**
 * Spelled out in full because kafkajs swaps in other defaults when NODE_ENV is 'test'
 * (src/retry/index.js), which jest sets. Few, short retries make an unreachable broker an error
 * within seconds.
 */
const CLIENT_RETRY: RetryOptions = { initialRetryTime: 100, maxRetryTime: 1_000, factor: 0.2, multiplier: 2, retries: 3 };
/**
 * A group join retries through "coordinator loading" on a broker that has just started. A
 * consumer that runs out of retries crashes and kafkajs restarts it.
 */
const CONSUMER_RETRY: RetryOptions = { ...CLIENT_RETRY, retries: 10 };
/**
 * kafkajs retries an idempotent producer's sends forever unless told otherwise, so a publish
 * would hang for as long as Kafka is away; bounded, it fails and the caller publishes again.
 */
const PRODUCER_RETRY: RetryOptions = { ...CLIENT_RETRY, initialRetryTime: 300, maxRetryTime: 5_000, retries: 5 };
const LOG_REPEAT_WINDOW_MS = 10_000;
/** Answered by dropping a producer after a failed send (see `publish`). */
const LIMITED_RETRIES_WARNING = 'Limiting retries for the idempotent producer may invalidate EoS guarantees';

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * kafkajs's own log lines, at WARN and above, go to the bus's logger. While Kafka is away it
 * logs every connection attempt of every client, so a line already logged within the last
 * LOG_REPEAT_WINDOW_MS is dropped.
 */
const kafkajsLogs =
  (logger: KafkaBusLogger): logCreator =>
  () => {
    const lastLogged = new Map<string, number>();
    return ({ namespace, level, log: { message, ...fields } }) => {
      if (message === LIMITED_RETRIES_WARNING) return;
      const now = Date.now();
      for (const [line, at] of lastLogged) if (now - at >= LOG_REPEAT_WINDOW_MS) lastLogged.delete(line);
      const line = `${level} ${namespace} ${message}`;
      if (lastLogged.has(line)) return;
      lastLogged.set(line, now);
      if (level === logLevel.ERROR) logger.error({ ...fields, kafkajs: namespace }, message);
      else logger.warn({ ...fields, kafkajs: namespace }, message);
    };
  };

/** A header sent twice arrives as an array; the last one wins, as with Java's `Headers.lastHeader`. */
const headersOf = (headers: IHeaders | undefined): Record<string, string> => {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const last = Array.isArray(value) ? value.at(-1) : value;
    if (last !== undefined) result[name] = last.toString();
  }
  return result;
};

const received = (topic: string, partition: number, message: KafkaMessage): ReceivedMessage => ({
  key: message.key?.toString() ?? '',
  value: message.value?.toString() ?? '',
  headers: headersOf(message.headers),
  topic,
  partition,
  offset: message.offset,
});

/**
 * Resolves once the consumer's start position in every partition it was given is fixed. For a
 * group with no committed offset and `fromBeginning: false`, kafkajs looks up the end of the log
 * at its first fetch, not when it joins (ConsumerGroup.fetch → OffsetManager.resolveOffsets), so
 * a message published between the join and that lookup would be skipped. A Fetch request names
 * the offset to read from, so the first one to complete means the position is known; a member
 * given no partitions has none to fix and is ready once it joined.
 */
const started = (consumer: Consumer): Promise<void> =>
  new Promise((resolve, reject) => {
    const settle = (error?: Error) => {
      clearTimeout(timer);
      for (const remove of listeners) remove();
      if (error) reject(error);
      else resolve();
    };
    const timer = setTimeout(() => settle(new Error(`not joined and fetching within ${JOIN_TIMEOUT_MS} ms`)), JOIN_TIMEOUT_MS);
    const listeners = [
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
        if (Object.values(payload.memberAssignment).every((partitions) => partitions.length === 0)) settle();
      }),
      consumer.on(consumer.events.REQUEST, ({ payload }) => {
        if (payload.apiName === 'Fetch') settle();
      }),
      consumer.on(consumer.events.CRASH, ({ payload }) => settle(payload.error)),
    ];
  });

/**
 * The message bus on Apache Kafka through kafkajs 2: one idempotent producer, and one consumer
 * per subscription. Topics are created on first use with this bus's partition count, since a
 * broker's auto-creation would use its own. Keys are hashed to partitions as the Java client
 * does (murmur2), so other clients agree on where an aggregate's messages go.
 */
export class KafkaMessageBus implements MessageBus {
  /** Connects now, so that a wrong address fails at start-up rather than at the first publish. */
  static async connect(options: KafkaMessageBusOptions): Promise<KafkaMessageBus> {
    const bus = new KafkaMessageBus(options);
    try {
      await Promise.all([bus.admin.connect(), bus.openProducer()]);
    } catch (error) {
      await bus.close().catch(() => undefined);
      throw new Error(`Kafka at ${options.brokers.join(',')} is unreachable: ${messageOf(error)}`, { cause: error });
    }
    return bus;
  }

  private readonly kafka: Kafka;
  private readonly admin: Admin;
  private readonly logger: KafkaBusLogger;
  private readonly numPartitions: number;
  private readonly replicationFactor: number;
  private readonly topics = new Map<string, Promise<void>>();
  private readonly subscriptions = new Set<BusSubscription>();
  private producer?: { readonly client: Producer; readonly connected: Promise<void> };
  private closed = false;

  private constructor(options: KafkaMessageBusOptions) {
    this.logger = options.logger;
    this.numPartitions = options.numPartitions ?? 3;
    this.replicationFactor = options.replicationFactor ?? 1;
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: [...options.brokers],
      connectionTimeout: 3_000,
      requestTimeout: 10_000,
      retry: CLIENT_RETRY,
      logLevel: logLevel.WARN,
      logCreator: kafkajsLogs(options.logger),
    });
    this.admin = this.kafka.admin();
  }

  /**
   * Publishes in log order, one produce request per run of messages up to PRODUCE_REQUEST_BYTES:
   * a relay page (up to 500 events) in one request could pass the broker's limit on a batch, and
   * would then be refused on every retry.
   */
  async publish(topic: string, messages: readonly BusMessage[]): Promise<void> {
    this.assertOpen();
    if (messages.length === 0) return;
    await this.ensureTopic(topic);
    for (const request of inRequests(messages)) await this.send(topic, request);
  }

  private async send(topic: string, messages: readonly BusMessage[]): Promise<void> {
    const producer = await this.openProducer();
    try {
      await producer.send({
        topic,
        acks: ACKS_ALL,
        messages: messages.map(({ key, value, headers }) => ({ key, value, headers: { ...headers } })),
      });
    } catch (error) {
      // kafkajs takes back the sequence numbers of a failed send (producer/sendMessages.js). Had
      // the broker written that batch before the failure, the next batch would reuse its numbers
      // and be dropped as a duplicate or refused as out of order; a new producer gets a new id.
      this.retire(producer);
      throw new Error(`Kafka did not acknowledge ${messages.length} message(s) to '${topic}': ${messageOf(error)}`, { cause: error });
    }
  }

  /**
   * Handler failures never reach kafkajs: a handler error thrown out of eachMessage/eachBatch
   * stops the fetches of every partition, counts towards the consumer's retries, and once
   * those run out the consumer is restarted with a rebalance (or, for a TypeError or
   * ReferenceError, stopped for good: src/consumer/runner.js, src/retry/index.js). Instead the
   * failed message is left unresolved, so it is neither committed nor skipped, and only its
   * partition is paused for the back-off; its next fetch starts after the last resolved offset
   * (OffsetManager.nextOffset), that is at the failed message.
   */
  async subscribe({ topic, groupId, fromBeginning, onMessage }: SubscribeOptions): Promise<BusSubscription> {
    this.assertOpen();
    await this.ensureTopic(topic);
    const consumer = this.kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: MAX_WAIT_TIME_MS,
      sessionTimeout: SESSION_TIMEOUT_MS,
      heartbeatInterval: HEARTBEAT_INTERVAL_MS,
      retry: CONSUMER_RETRY,
    });
    const failures = new Map<number, number>();
    const resumptions = new Set<NodeJS.Timeout>();
    let closing: Promise<void> | undefined;
    const subscription: BusSubscription = {
      close: () =>
        (closing ??= (async () => {
          for (const timer of resumptions) clearTimeout(timer);
          try {
            await consumer.disconnect();
          } finally {
            this.subscriptions.delete(subscription);
          }
        })()),
    };
    this.subscriptions.add(subscription);

    const redeliverLater = (partition: number, offset: string, error: unknown, pause: () => () => void) => {
      const attempt = (failures.get(partition) ?? 0) + 1;
      failures.set(partition, attempt);
      const delayMs = Math.min(REDELIVERY_DELAY_MS * 2 ** (attempt - 1), MAX_REDELIVERY_DELAY_MS);
      this.logger.warn({ err: error, topic, partition, offset, groupId, attempt, delayMs }, 'Message handler failed; redelivering after a back-off');
      const resume = pause();
      const timer = setTimeout(() => {
        resumptions.delete(timer);
        resume();
      }, delayMs);
      resumptions.add(timer);
    };

    const deliver: EachBatchHandler = async ({ batch, resolveOffset, heartbeat, pause, isRunning }) => {
      for (const message of batch.messages) {
        if (!isRunning()) return;
        try {
          await onMessage(received(batch.topic, batch.partition, message));
        } catch (error) {
          redeliverLater(batch.partition, message.offset, error, pause);
          return;
        }
        failures.delete(batch.partition);
        resolveOffset(message.offset);
        await heartbeat();
      }
    };

    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning });
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        if (!payload.restart) this.logger.error({ err: payload.error, topic, groupId }, 'Kafka consumer stopped for good; subscribe again');
      });
      // Listening before run() starts, and awaiting both together so that a crash is never unhandled.
      await Promise.all([started(consumer), consumer.run({ eachBatchAutoResolve: false, eachBatch: deliver })]);
    } catch (error) {
      await subscription.close().catch(() => undefined);
      throw new Error(`Kafka consumer of group '${groupId}' on '${topic}' did not start: ${messageOf(error)}`, { cause: error });
    }
    return subscription;
  }

  async ensureTopics(topics: readonly string[]): Promise<void> {
    this.assertOpen();
    await Promise.all(topics.map((topic) => this.ensureTopic(topic)));
  }

  async ping(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Kafka did not answer within ${PING_TIMEOUT_MS} ms.`)), PING_TIMEOUT_MS);
    });
    try {
      await Promise.race([this.admin.describeCluster(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    const producer = this.producer;
    this.producer = undefined;
    await Promise.all([
      producer?.connected.catch(() => undefined).then(() => producer.client.disconnect()),
      this.admin.disconnect(),
    ]);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('The Kafka message bus is closed.');
  }

  /** Concurrent first uses share one creation; a failed one is forgotten so the next use retries. */
  private ensureTopic(topic: string): Promise<void> {
    let created = this.topics.get(topic);
    if (!created) {
      created = this.admin
        .createTopics({
          topics: [{ topic, numPartitions: this.numPartitions, replicationFactor: this.replicationFactor }],
          waitForLeaders: true,
        })
        .then(
          () => undefined,
          (error: unknown) => {
            this.topics.delete(topic);
            throw new Error(`Could not create Kafka topic '${topic}': ${messageOf(error)}`, { cause: error });
          },
        );
      this.topics.set(topic, created);
    }
    return created;
  }

  private async openProducer(): Promise<Producer> {
    if (!this.producer) {
      const client = this.kafka.producer({
        idempotent: true,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
        retry: PRODUCER_RETRY,
      });
      this.producer = { client, connected: client.connect() };
    }
    const { client, connected } = this.producer;
    try {
      await connected;
    } catch (error) {
      this.retire(client);
      throw error;
    }
    return client;
  }

  private retire(client: Producer): void {
    if (this.producer?.client === client) this.producer = undefined;
    client.disconnect().catch(() => undefined);
  }
}
