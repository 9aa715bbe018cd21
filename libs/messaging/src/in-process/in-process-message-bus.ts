import { setTimeout as sleep } from 'node:timers/promises';
import { BusMessage, BusSubscription, MessageBus, ReceivedMessage, SubscribeOptions } from '../message-bus.port';

type Group = { offset: number; consuming: boolean };
/** A topic's messages from offset `base` on: what every group has consumed is dropped. */
type TopicLog = { base: number; messages: ReceivedMessage[] };

const REDELIVERY_DELAY_MS = 100;
/** What a topic no group reads keeps for a group that joins from the beginning, like Kafka's retention. */
const RETAINED_UNREAD_MESSAGES = 10_000;
/** Dropping consumed messages shifts the array, so it is done in batches rather than per message. */
const TRIM_BATCH = 1_000;

/**
 * The embedded default's bus: topics are in-memory logs and each group keeps an offset, so the
 * semantics handlers see (every group gets every message, in order, again after a failure)
 * match Kafka's. It lives and dies with the process; what must survive a crash is re-published
 * from the checkpointed event log, never from here. Memory stays flat: messages every group has
 * consumed are dropped, and a topic no group reads keeps only its latest messages.
 */
export class InProcessMessageBus implements MessageBus {
  private readonly topics = new Map<string, TopicLog>();
  private readonly groups = new Map<string, Group>();
  private readonly waiters = new Set<() => void>();
  private closed = false;

  async publish(topic: string, messages: readonly BusMessage[]): Promise<void> {
    const log = this.log(topic);
    for (const message of messages) {
      log.messages.push({ ...message, headers: { ...message.headers }, topic, partition: 0, offset: String(log.base + log.messages.length) });
    }
    this.trim(topic, log);
    for (const wake of [...this.waiters]) wake();
  }

  async subscribe(options: SubscribeOptions): Promise<BusSubscription> {
    const log = this.log(options.topic);
    const groupKey = `${options.topic}\u0000${options.groupId}`;
    const group = this.groups.get(groupKey) ?? { offset: options.fromBeginning ? log.base : log.base + log.messages.length, consuming: false };
    // One process needs one consumer per group; sharing a group's partitions is Kafka's job.
    if (group.consuming) throw new Error(`Group '${options.groupId}' already consumes '${options.topic}' in this process.`);
    this.groups.set(groupKey, group);
    group.consuming = true;
    let active = true;
    let wake: () => void = () => undefined;

    const consume = async () => {
      while (active && !this.closed) {
        // A group that fell behind what was dropped resumes at the oldest kept message, as Kafka's earliest reset does.
        group.offset = Math.max(group.offset, log.base);
        const message = log.messages[group.offset - log.base];
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
          this.trim(options.topic, log);
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

  /** Topics here come into being on first use. */
  async ensureTopics(): Promise<void> {}

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.closed = true;
    for (const wake of [...this.waiters]) wake();
  }

  private log(topic: string): TopicLog {
    let log = this.topics.get(topic);
    if (!log) {
      log = { base: 0, messages: [] };
      this.topics.set(topic, log);
    }
    return log;
  }

  private trim(topic: string, log: TopicLog): void {
    const end = log.base + log.messages.length;
    const offsets = [...this.groups].filter(([key]) => key.startsWith(`${topic}\u0000`)).map(([, group]) => group.offset);
    const keepFrom = offsets.length > 0 ? Math.min(...offsets) : end - RETAINED_UNREAD_MESSAGES;
    const drop = keepFrom - log.base;
    if (drop < TRIM_BATCH) return;
    log.messages.splice(0, drop);
    log.base += drop;
  }
}
