import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { Kafka, logLevel, Partitioners, PartitionMetadata } from 'kafkajs';
import pino from 'pino';
import { eventually } from '../../../../test/support/eventually';
import { describeWithServer } from '../../../../test/support/real-server';
import { describeMessageBusContract, Received } from '../testing/message-bus.contract';
import { inRequests, KafkaMessageBus } from './kafka-message-bus';

// Redeliveries are expected here and log at warn; errors still show.
const logger = pino({ level: 'error' });
const NUM_PARTITIONS = 3;

/** The producer's partitioner, asked where a key goes in a topic of NUM_PARTITIONS partitions. */
const partitionOf = (key: string) => {
  const partitionMetadata = Array.from(
    { length: NUM_PARTITIONS },
    (_, partitionId): PartitionMetadata => ({ partitionId, leader: 1, partitionErrorCode: 0, replicas: [1], isr: [1] }),
  );
  return Partitioners.DefaultPartitioner()({ topic: 't', partitionMetadata, message: { key, value: '' } });
};

describe('Kafka message bus without a broker', () => {
  it('fails within seconds, naming the address', async () => {
    const server = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));

    const started = Date.now();
    await expect(KafkaMessageBus.connect({ brokers: [`127.0.0.1:${port}`], clientId: 'keyhold-test', logger: pino({ level: 'silent' }) })).rejects.toThrow(
      `Kafka at 127.0.0.1:${port} is unreachable`,
    );
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describeWithServer('KAFKA_BROKERS', 'Kafka message bus', (brokers) => {
  const open = () => KafkaMessageBus.connect({ brokers: brokers.split(','), clientId: 'keyhold-test', logger, numPartitions: NUM_PARTITIONS });

  describeMessageBusContract('Kafka', open);

  describe('on Kafka', () => {
    let bus: KafkaMessageBus;
    beforeAll(async () => {
      bus = await open();
    });
    afterAll(async () => {
      await bus.close();
    });

    it('answers a ping', async () => {
      await expect(bus.ping()).resolves.toBeUndefined();
    });

    it('ensures topics that another client can use at once, with this bus\'s partition count', async () => {
      const topics = [`kafka.${randomUUID()}`, `kafka.${randomUUID()}`];
      await bus.ensureTopics(topics);
      await bus.ensureTopics(topics); // existing topics are left as they are
      const admin = new Kafka({ clientId: 'keyhold-test-admin', brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      try {
        const { topics: described } = await admin.fetchTopicMetadata({ topics });
        const summary = described.map((topic) => [topic.name, topic.partitions.length, topic.partitions.every((partition) => partition.leader >= 0)]);
        expect(summary.sort()).toEqual(topics.sort().map((name) => [name, NUM_PARTITIONS, true]));
      } finally {
        await admin.disconnect();
      }
    });

    it('starts a new group after what was published before it subscribed, and misses nothing after', async () => {
      const topic = `kafka.${randomUUID()}`;
      await bus.publish(topic, [{ key: 'k', value: 'before', headers: {} }]);
      const received = new Received();
      const subscription = await bus.subscribe({ topic, groupId: `kafka-${randomUUID()}`, fromBeginning: false, onMessage: received.handler });
      await bus.publish(topic, [{ key: 'k', value: 'after', headers: {} }]);
      await received.until(1);
      await subscription.close();
      expect(received.values()).toEqual(['after']);
    });

    it('publishes more in one call than the broker takes in one request, in order', async () => {
      const topic = `kafka.${randomUUID()}`;
      // 1.2 MiB under one key (one partition): over the broker's default 1 MiB limit on a batch.
      const values = Array.from({ length: 1200 }, (_, n) => `${String(n).padStart(4, '0')}:${'x'.repeat(1024)}`);
      expect(inRequests(values.map((value) => ({ key: 'k', value, headers: {} }))).length).toBeGreaterThan(1);
      const received = new Received();
      const subscription = await bus.subscribe({ topic, groupId: `kafka-${randomUUID()}`, fromBeginning: true, onMessage: received.handler });
      await bus.publish(topic, values.map((value) => ({ key: 'k', value, headers: {} })));
      await received.until(values.length, 60_000);
      await subscription.close();
      expect(received.values()).toEqual(values);
    });

    it('keeps delivering the other partitions while one waits to redeliver a failed message', async () => {
      const topic = `kafka.${randomUUID()}`;
      const stuck = 'stuck';
      const others = Array.from({ length: 12 }, (_, i) => `key-${i}`).filter((key) => partitionOf(key) !== partitionOf(stuck));
      expect(new Set(others.map(partitionOf)).size).toBe(NUM_PARTITIONS - 1);
      const received = new Received();
      let attempts = 0;
      const subscription = await bus.subscribe({
        topic,
        groupId: `kafka-${randomUUID()}`,
        fromBeginning: true,
        onMessage: async (message) => {
          if (message.key === stuck) {
            attempts += 1;
            throw new Error('always fails');
          }
          await received.handler(message);
        },
      });
      await bus.publish(topic, [{ key: stuck, value: stuck, headers: {} }]);
      // Only once the stuck message has failed (and waits to be redelivered) come the others:
      // published together, they could all be delivered before it was even fetched.
      expect(await eventually(async () => attempts >= 1, 15_000, 50)).toBe(true);
      await bus.publish(
        topic,
        others.map((key) => ({ key, value: key, headers: {} })),
      );
      await received.until(others.length);
      await subscription.close();
      expect(received.values().sort()).toEqual([...others].sort());
    });
  });
});
