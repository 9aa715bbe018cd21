import { describeMessageBusContract } from '../testing/message-bus.contract';
import { InProcessMessageBus } from './in-process-message-bus';

describeMessageBusContract('in-process', async () => new InProcessMessageBus());

describe('in-process bus retention', () => {
  const messages = (count: number) => Array.from({ length: count }, (_, n) => ({ key: 'k', value: String(n), headers: {} }));

  const collect = async (bus: InProcessMessageBus, topic: string, groupId: string, until: string) => {
    const values: string[] = [];
    let done: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const subscription = await bus.subscribe({
      topic,
      groupId,
      fromBeginning: true,
      onMessage: async (message) => {
        values.push(message.value);
        if (message.value === until) done();
      },
    });
    await finished;
    await subscription.close();
    return values;
  };

  it('keeps only the latest messages of a topic no group reads, in order', async () => {
    const bus = new InProcessMessageBus();
    await bus.publish('unread', messages(25_000));
    const values = await collect(bus, 'unread', 'late', '24999');
    expect(values.length).toBeGreaterThanOrEqual(10_000);
    expect(values.length).toBeLessThan(11_000);
    expect(values.map(Number)).toEqual(Array.from({ length: values.length }, (_, n) => 25_000 - values.length + n));
    await bus.close();
  });

  it('keeps every message a group has not consumed yet, however many', async () => {
    const bus = new InProcessMessageBus();
    // The group exists (at offset 0) but is not consuming while 25k messages arrive.
    await (await bus.subscribe({ topic: 'slow', groupId: 'slow', fromBeginning: true, onMessage: async () => undefined })).close();
    await bus.publish('slow', messages(25_000));
    const values = await collect(bus, 'slow', 'slow', '24999');
    expect(values).toHaveLength(25_000);
    await bus.close();
  });
});
