import { ClientAuthThrottle } from './client-auth-throttle';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const SECOND = 1000;

const failTimes = (throttle: ClientAuthThrottle, clientId: string, source: string, times: number, at = T0) => {
  for (let n = 0; n < times; n += 1) throttle.recordFailure(clientId, source, at);
};

describe('ClientAuthThrottle', () => {
  it('lets five failures of a (client, source) pair pass without delay', () => {
    const throttle = new ClientAuthThrottle();
    failTimes(throttle, 'c1', '203.0.113.1', 5);
    expect(throttle.retryAfterSeconds('c1', '203.0.113.1', T0)).toBe(0);
  });

  it('delays each further failure progressively: 1 s, 2 s, 4 s ... up to 15 minutes', () => {
    const throttle = new ClientAuthThrottle();
    failTimes(throttle, 'c1', 'a', 5);
    const delays = [];
    for (let n = 0; n < 12; n += 1) {
      throttle.recordFailure('c1', 'a', T0);
      delays.push(throttle.retryAfterSeconds('c1', 'a', T0));
    }
    expect(delays).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]);
  });

  it('never locks for good: after ten wrong secrets the right one is let through once the delay has passed', () => {
    const throttle = new ClientAuthThrottle();
    failTimes(throttle, 'c1', 'a', 10);
    const wait = throttle.retryAfterSeconds('c1', 'a', T0);
    expect(wait).toBe(16);
    expect(throttle.retryAfterSeconds('c1', 'a', T0 + wait * SECOND - 1)).toBeGreaterThan(0);
    expect(throttle.retryAfterSeconds('c1', 'a', T0 + wait * SECOND)).toBe(0);
    // The right secret then clears the pair: the next typo costs nothing.
    throttle.recordSuccess('c1', 'a');
    throttle.recordFailure('c1', 'a', T0 + wait * SECOND);
    expect(throttle.retryAfterSeconds('c1', 'a', T0 + wait * SECOND)).toBe(0);
  });

  it('keys by client and source together: neither another source nor another client shares the delay', () => {
    const throttle = new ClientAuthThrottle();
    failTimes(throttle, 'c1', 'guesser', 10);
    for (let n = 0; n < 100; n += 1) throttle.recordFailure(`sprayed-${n}`, 'guesser', T0);
    expect(throttle.retryAfterSeconds('c1', 'guesser', T0)).toBeGreaterThan(0);
    expect(throttle.retryAfterSeconds('c1', 'colleague', T0)).toBe(0);
    expect(throttle.retryAfterSeconds('c2', 'guesser', T0)).toBe(0);
    // A client id that contains the separator of a naive key cannot alias another pair.
    failTimes(throttle, 'x:y', 'z', 10);
    expect(throttle.retryAfterSeconds('x', 'y:z', T0)).toBe(0);
  });

  it('forgets a pair fifteen minutes after its last failure', () => {
    const throttle = new ClientAuthThrottle();
    failTimes(throttle, 'c1', 'a', 7);
    const later = T0 + 15 * 60 * SECOND;
    expect(throttle.retryAfterSeconds('c1', 'a', later)).toBe(0);
    throttle.recordFailure('c1', 'a', later);
    expect(throttle.retryAfterSeconds('c1', 'a', later)).toBe(0);
  });
});
