import { ThreadDutyCycle, DutyCycleClock } from './thread-duty-cycle';

/** A clock whose busy time moves only when the test says so, and which records each rest. */
const fakeClock = () => {
  const clock = { cpu: 0, duringTurn: 0, rests: [] as number[] };
  const dutyClock: DutyCycleClock = {
    busyMicros: () => clock.cpu,
    endOfTurn: async () => void (clock.cpu += clock.duringTurn),
    sleep: async (ms) => void clock.rests.push(ms),
  };
  return { clock, dutyClock };
};

describe('ThreadDutyCycle', () => {
  it('rests so that the work takes its share: 30 ms busy at a quarter rests 90 ms', async () => {
    const { clock, dutyClock } = fakeClock();
    const cycle = new ThreadDutyCycle(0.25, dutyClock);
    cycle.begin();
    clock.cpu += 30_000;
    await cycle.rest();
    expect(clock.rests).toEqual([90]);
  });

  it('counts what the stretch set off before its turn ended (consumers of what it published)', async () => {
    const { clock, dutyClock } = fakeClock();
    const cycle = new ThreadDutyCycle(0.5, dutyClock);
    cycle.begin();
    clock.cpu += 10_000;
    clock.duringTurn = 6_000;
    await cycle.rest();
    expect(clock.rests).toEqual([16]);
  });

  it('measures back-to-back stretches from the end of the last rest, so reading the next page counts too', async () => {
    const { clock, dutyClock } = fakeClock();
    const cycle = new ThreadDutyCycle(0.5, dutyClock);
    cycle.begin();
    clock.cpu += 4_000;
    await cycle.rest();
    clock.cpu += 8_000; // read and decoded before the next stretch began
    cycle.begin();
    clock.cpu += 2_000;
    await cycle.rest();
    expect(clock.rests).toEqual([4, 10]);
  });

  it('does not charge the time spent idle at the head to the next stretch', async () => {
    const { clock, dutyClock } = fakeClock();
    const cycle = new ThreadDutyCycle(0.5, dutyClock);
    cycle.begin();
    clock.cpu += 1_000;
    await cycle.rest();
    cycle.idle();
    clock.cpu += 500_000; // serving, while the subscriber waited for appends
    await cycle.rest();
    cycle.begin();
    clock.cpu += 2_000;
    await cycle.rest();
    expect(clock.rests).toEqual([1, 2]);
  });

  it('refuses a share that is no share', () => {
    for (const share of [0, -1, 1.5, Number.NaN]) expect(() => new ThreadDutyCycle(share)).toThrow('A share of the thread is in (0, 1]');
  });
});
