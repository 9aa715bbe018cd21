import { performance } from 'node:perf_hooks';
import { setImmediate, setTimeout } from 'node:timers/promises';

/** Where a duty cycle reads the time spent and rests; this thread's own unless a test gives one. */
export type DutyCycleClock = {
  /** How long this thread's event loop has been busy (not waiting for I/O or timers), in microseconds. */
  busyMicros(): number;
  /** Ends the turn, so that what it set off (microtasks) has run. */
  endOfTurn(): Promise<void>;
  sleep(ms: number): Promise<void>;
};

const threadClock: DutyCycleClock = {
  busyMicros: () => performance.eventLoopUtilization().active * 1000,
  endOfTurn: () => setImmediate(),
  sleep: (ms) => setTimeout(ms),
};

/**
 * Holds a background catch-up to a share of its thread's time: after each stretch of its work,
 * it rests long enough that the work took at most `share` of the time. The work is measured as
 * the event loop's busy time from the end of the last rest to the end of the stretch's turn, so
 * that it counts what the stretch caused on this thread beside its own code: reading and
 * decoding the log, the garbage it leaves, and the in-process bus's consumers of what it
 * published (they run in the same turn). It counts whatever else ran meanwhile too (requests
 * served between two turns), which only makes the catch-up yield more.
 *
 * The thread's busy time, not the process's CPU time: the process's counts every other thread
 * (a read-model catch-up thread working beside it on the other core), which held the relay to a
 * fraction of its share exactly while a restored log's read models were replayed. A stretch
 * preempted on a busy machine counts the time it waited, and so yields more.
 */
export class ThreadDutyCycle {
  private since: number | null = null;

  constructor(
    private readonly share: number,
    private readonly clock: DutyCycleClock = threadClock,
  ) {
    if (!(share > 0 && share <= 1)) throw new Error(`A share of the thread is in (0, 1]; got ${share}.`);
  }

  /** A stretch of work begins, unless one is already being measured (the last rest ended it). */
  begin(): void {
    this.since ??= this.clock.busyMicros();
  }

  /** The stretch is over: waits `(1 - share) / share` of the busy time it took, then measures the next one from there. */
  async rest(): Promise<void> {
    if (this.since === null) return;
    await this.clock.endOfTurn();
    const usedMs = (this.clock.busyMicros() - this.since) / 1000;
    await this.clock.sleep((usedMs * (1 - this.share)) / this.share);
    this.since = this.clock.busyMicros();
  }

  /** The subscriber is at the head: the next stretch is measured from when it begins. */
  idle(): void {
    this.since = null;
  }
}
