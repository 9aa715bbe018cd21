import { randomUUID } from 'node:crypto';
import { BusMessage, MessageBus, ReceivedMessage } from '../message-bus.port';

/** Collects what a subscription receives and lets a test wait until it has enough. */
export class Received {
  readonly messages: ReceivedMessage[] = [];
  private waiters: Array<{ count: number; resolve: () => void }> = [];

  readonly handler = async (message: ReceivedMessage) => {
    this.messages.push(message);
    this.waiters = this.waiters.filter((waiter) => {
      if (this.messages.length < waiter.count) return true;
      waiter.resolve();
      return false;
    });
  };

  until(count: number, timeoutMs = 20000): Promise<void> {
    if (this.messages.length >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`received ${this.messages.length} of ${count} messages in ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiters.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  values(): string[] {
    return this.messages.map((message) => message.value);
  }
}

/** The behaviour every message bus adapter must show; topic and group names are fresh per test. */
export const describeMessageBusContract = (adapterName: string, open: () => Promise<MessageBus>) => {
  describe(`MessageBus contract: ${adapterName}`, () => {
    let bus: MessageBus;
    beforeAll(async () => {
      bus = await open();
    });
    afterAll(async () => {
      await bus.close();
    });

    const topic = () => `contract.${randomUUID()}`;
    const group = () => `contract-${randomUUID()}`;
    const message = (key: string, value: string, headers: Record<string, string> = {}): BusMessage => ({ key, value, headers });

    it('delivers published messages with key, value and headers, in order per key', async () => {
      const name = topic();
      const received = new Received();
      const subscription = await bus.subscribe({ topic: name, groupId: group(), fromBeginning: true, onMessage: received.handler });
      await bus.publish(name, [message('a', '1', { 'event-id': 'e1' }), message('a', '2'), message('a', '3')]);
      await received.until(3);
      await subscription.close();
      expect(received.values()).toEqual(['1', '2', '3']);
      expect(received.messages[0]).toMatchObject({ topic: name, key: 'a', headers: { 'event-id': 'e1' } });
    });

    it('gives every group every message', async () => {
      const name = topic();
      const first = new Received();
      const second = new Received();
      const subscriptions = await Promise.all([
        bus.subscribe({ topic: name, groupId: group(), fromBeginning: true, onMessage: first.handler }),
        bus.subscribe({ topic: name, groupId: group(), fromBeginning: true, onMessage: second.handler }),
      ]);
      await bus.publish(name, [message('k', 'x'), message('k', 'y')]);
      await Promise.all([first.until(2), second.until(2)]);
      await Promise.all(subscriptions.map((s) => s.close()));
      expect(first.values()).toEqual(['x', 'y']);
      expect(second.values()).toEqual(['x', 'y']);
    });

    it('replays earlier messages to a new group that starts from the beginning', async () => {
      const name = topic();
      await bus.publish(name, [message('k', 'early')]);
      const received = new Received();
      const subscription = await bus.subscribe({ topic: name, groupId: group(), fromBeginning: true, onMessage: received.handler });
      await received.until(1);
      await subscription.close();
      expect(received.values()).toEqual(['early']);
    });

    it('delivers the same message again after its handler failed', async () => {
      const name = topic();
      const received = new Received();
      let failures = 0;
      const subscription = await bus.subscribe({
        topic: name,
        groupId: group(),
        fromBeginning: true,
        onMessage: async (m) => {
          if (m.value === 'flaky' && failures < 2) {
            failures += 1;
            throw new Error('transient');
          }
          await received.handler(m);
        },
      });
      await bus.publish(name, [message('k', 'flaky'), message('k', 'after')]);
      await received.until(2);
      await subscription.close();
      expect(failures).toBe(2);
      expect(received.values()).toEqual(['flaky', 'after']);
    });

    it('resumes a group where it left off after closing', async () => {
      const name = topic();
      const groupId = group();
      const first = new Received();
      const subscription = await bus.subscribe({ topic: name, groupId, fromBeginning: true, onMessage: first.handler });
      await bus.publish(name, [message('k', 'one')]);
      await first.until(1);
      await subscription.close();

      await bus.publish(name, [message('k', 'two')]);
      const second = new Received();
      const resumed = await bus.subscribe({ topic: name, groupId, fromBeginning: true, onMessage: second.handler });
      await second.until(1);
      await resumed.close();
      expect(second.values()).toEqual(['two']);
    });
  });
};
