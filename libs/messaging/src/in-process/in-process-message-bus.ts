import { setTimeout as sleep } from 'node:timers/promises';
import { BusMessage, BusSubscription, MessageBus, ReceivedMessage, SubscribeOptions } from '../message-bus.port';

type Group = { offset: number; consuming: boolean };

const REDELIVERY_DELAY_MS = 100;

/**
 * The embedded default's bus: topics are in-memory logs and each group keeps an offset, so the
 * semantics handlers see (every group gets every message, in order, again after a failure)
 * match Kafka's. It lives and dies with the process; what must survive a crash is re-published
 * from the checkpointed event log, never from here.
 */
export class InProcessMessageBus implements MessageBus {
  private readonly topics = new Map<string, ReceivedMessage[]>();
  private readonly groups = new Map<string, Group>();
  private readonly waiters = new Set<() => void>();
  private closed = false;

  async publish(topic: string, messages: readonly BusMessage[]): Promise<void> {
    const log = this.log(topic);
    for (const message of messages) {
      log.push({ ...message, headers: { ...message.headers }, topic, partition: 0, offset: String(log.length) });
    }
    for (const wake of [...this.waiters]) wake();
  }

  async subscribe(options: SubscribeOptions): Promise<BusSubscription> {
    const log = this.log(options.topic);
    const groupKey = `${options.topic}\u0000${options.groupId}`;
    const group = this.groups.get(groupKey) ?? { offset: options.fromBeginning ? 0 : log.length, consuming: false };
    // One process needs one consumer per group; sharing a group's partitions is Kafka's job.
    if (group.consuming) throw new Error(`Group '${options.groupId}' already consumes '${options.topic}' in this process.`);
    this.groups.set(groupKey, group);
    group.consuming = true;
    let active = true;
    let wake: () => void = () => undefined;

    const consume = async () => {
      while (active && !this.closed) {
        const message = log[group.offset];
        if (!message) {
          await new Promise<void>((resolve) => {
            wake = () => {
              this.waiters.delete(wake);
              resolve();
            };
            this.waiters.add(wake);
          });
          continue;
        }
        try {
          await options.onMessage(message);
          group.offset += 1;
        } catch {
          await sleep(REDELIVERY_DELAY_MS);
        }
      }
    };
    const running = consume();

    return {
      close: async () => {
        active = false;
        group.consuming = false;
        wake();
        await running;
      },
    };
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.closed = true;
    for (const wake of [...this.waiters]) wake();
  }

  private log(topic: string): ReceivedMessage[] {
    let log = this.topics.get(topic);
    if (!log) {
      log = [];
      this.topics.set(topic, log);
    }
    return log;
  }
}
