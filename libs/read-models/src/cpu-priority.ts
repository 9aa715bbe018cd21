import { readdirSync, readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/**
 * Niceness for work that may wait (catch-up, rebuilds, WAL checkpoints): the scheduler gives
 * serving threads the cores first. Not 19: a catch-up slice holds the read models' write lock,
 * which a starved thread holds longer. At 19, a dropped read model's catch-up at 300k events
 * under load got 0.1-0.4 s of CPU per 5 s instead of 0.4-1.5 s and took 121 s instead of
 * 96-116 s, with no gain in the serving thread's throughput, CPU per request or p99.
 */
export const BACKGROUND_NICENESS = 10;

const threadsOfThisProcess = (): string[] => readdirSync('/proc/self/task');

/**
 * Linux keeps a niceness per thread, and `os.setPriority(pid)` sets it for the thread with that
 * id: this one's id comes from /proc/thread-self. Elsewhere it changes nothing; failing to lower
 * it is no reason to stop the work.
 */
export const lowerThisThreadsPriority = (niceness = BACKGROUND_NICENESS): void => {
  if (process.platform !== 'linux') return;
  try {
    setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), niceness);
  } catch {
    // Not lowered: the work still runs, only at the serving threads' priority.
  }
};

/** Every thread of this process (V8's and libuv's included), for a process that is background work as a whole. */
export const lowerThisProcessPriority = (niceness = BACKGROUND_NICENESS): void => {
  if (process.platform !== 'linux') return;
  try {
    for (const thread of threadsOfThisProcess()) setPriority(Number(thread), niceness);
  } catch {
    // As above.
  }
};

/**
 * Starts a thread at background niceness, for a thread whose code cannot lower its own (a
 * `new Worker` of evaluated code, which cannot load this module when it is TypeScript): the
 * thread exists once the constructor returns, so the threads that appeared during `start` are
 * its. A thread another worker started in that same instant would be lowered too; none of ours
 * serves requests.
 */
export const startedAtBackgroundPriority = <T>(start: () => T, niceness = BACKGROUND_NICENESS): T => {
  if (process.platform !== 'linux') return start();
  const before = new Set(threadsOfThisProcess());
  const started = start();
  try {
    for (const thread of threadsOfThisProcess()) if (!before.has(thread)) setPriority(Number(thread), niceness);
  } catch {
    // As above.
  }
  return started;
};
