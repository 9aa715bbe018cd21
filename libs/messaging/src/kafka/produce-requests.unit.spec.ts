import { BusMessage } from '../message-bus.port';
import { inRequests } from './kafka-message-bus';

const message = (n: number, bytes: number): BusMessage => ({ key: `k${n % 3}`, value: `${n}:`.padEnd(bytes, 'x'), headers: { 'keyhold-event-type': 'TokenIssued' } });

describe('inRequests (one Kafka publish in produce requests)', () => {
  it('keeps a page of small messages in one request', () => {
    const page = Array.from({ length: 500 }, (_, n) => message(n, 300));
    expect(inRequests(page)).toEqual([page]);
  });

  it('splits larger runs at about 256 KiB, keeping every message once and in order', () => {
    const page = Array.from({ length: 500 }, (_, n) => message(n, 2000));
    const requests = inRequests(page);
    expect(requests.length).toBe(4);
    expect(requests.flat()).toEqual(page);
    for (const request of requests) expect(request.reduce((sum, m) => sum + m.value.length, 0)).toBeLessThanOrEqual(256 * 1024);
  });

  it('sends a message larger than a request alone, and nothing for no message', () => {
    const big = message(1, 300 * 1024);
    expect(inRequests([message(0, 10), big, message(2, 10)])).toEqual([[message(0, 10)], [big], [message(2, 10)]]);
    expect(inRequests([])).toEqual([]);
  });
});
