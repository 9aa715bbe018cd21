import { setImmediate, setTimeout } from 'node:timers/promises';

/** Where a duty cycle reads the time spent and rests; the process's own unless a test gives one. */
export type DutyCycleClock = {
  /** CPU time used so far, in microseconds. */
  cpuMicros(): number;
  /** Ends the turn, so that what it set off (microtasks) has run. */
  endOfTurn(): Promise<void>;
  sleep(ms: number): Promise<void>;
};

const processClock: DutyCycleClock = {
  cpuMicros: () => {
    const { user, system } = process.cpuUsage();
    return user + system;
  },
  endOfTurn: () => setImmediate(),
  sleep: (ms) => setTimeout(ms),
};

/**
 * Holds a background catch-up to a share of the CPU: after each stretch of its work, it rests
 * long enough that the work took at most `share` of the time. The work is measured in the
 * process's CPU time from the end of the last rest to the end of the stretch's turn, so that it
 * counts what the stretch caused on this thread beside its own code: reading and decoding the
 * log, the garbage it leaves, and the in-process bus's consumers of what it published (they run
 * in the same turn). It counts whatever else ran meanwhile too (requests served between two
 * turns, another thread's work), which only makes the catch-up yield more.
 *
 * CPU rather than wall time, so that a stretch preempted on a busy machine does not count the
 * time it waited.
 */
export class CpuDutyCycle {
  private since: number | null = null;

  constructor(
    private readonly share: number,
    private readonly clock: DutyCycleClock = processClock,
  ) {
    if (!(share > 0 && share <= 1)) throw new Error(`A CPU share is in (0, 1]; got ${share}.`);
  }

  /** A stretch of work begins, unless one is already being measured (the last rest ended it). */
  begin(): void {
    this.since ??= this.clock.cpuMicros();
  }

  /** The stretch is over: waits `(1 - share) / share` of the CPU time it took, then measures the next one from there. */
  async rest(): Promise<void> {
    if (this.since === null) return;
    await this.clock.endOfTurn();
    const usedMs = (this.clock.cpuMicros() - this.since) / 1000;
    await this.clock.sleep((usedMs * (1 - this.share)) / this.share);
    this.since = this.clock.cpuMicros();
  }

  /** The subscriber is at the head: the next stretch is measured from when it begins. */
  idle(): void {
    this.since = null;
  }
}
