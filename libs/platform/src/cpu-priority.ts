import { readdirSync, readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/** Niceness for work that may wait (catch-up, rebuilds): the scheduler gives serving threads the cores first. */
export const BACKGROUND_NICENESS = 10;

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
    for (const thread of readdirSync('/proc/self/task')) setPriority(Number(thread), niceness);
  } catch {
    // As above.
  }
};
