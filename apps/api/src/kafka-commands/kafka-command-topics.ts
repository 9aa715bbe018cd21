import { KafkaOptions, Transport } from '@nestjs/microservices';
import { KeyholdConfig } from '@keyhold/platform';

/** The three topics of the command channel and the consumer group reading it; see docs/kafka-commands.md. */
export type KafkaCommandTopics = { readonly commands: string; readonly results: string; readonly deadLetters: string; readonly groupId: string };

export const KAFKA_COMMAND_TOPICS = Symbol('KafkaCommandTopics');

export const kafkaCommandTopics = (prefix: string): KafkaCommandTopics => ({
  commands: `${prefix}.commands.v1`,
  results: `${prefix}.command-results.v1`,
  deadLetters: `${prefix}.commands.dead-letter.v1`,
  groupId: `${prefix}.commands`,
});

/**
 * The @nestjs/microservices Kafka server that consumes the commands topic. It starts from the
 * oldest message when its group has no offset yet: a command older than the freshness window is
 * refused anyway, and one already run is recognised by its id. Values stay bytes (keepBinary) so
 * that a dead letter carries what was sent, not what a JSON parser made of it.
 */
export const kafkaCommandsTransport = (config: KeyholdConfig): KafkaOptions => {
  const topics = kafkaCommandTopics(config.KAFKA_COMMAND_TOPIC_PREFIX);
  return {
    transport: Transport.KAFKA,
    options: {
      postfixId: '',
      client: {
        clientId: 'keyhold-commands',
        brokers: config.KAFKA_BROKERS!.split(','),
        // Spelled out: kafkajs swaps in other defaults when NODE_ENV is 'test'.
        retry: { initialRetryTime: 100, maxRetryTime: 1_000, factor: 0.2, multiplier: 2, retries: 10 },
      },
      consumer: { groupId: topics.groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000, maxWaitTimeInMs: 250, allowAutoTopicCreation: true },
      subscribe: { fromBeginning: true },
      parser: { keepBinary: true },
    },
  };
};
