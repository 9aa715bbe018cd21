import { setFlagsFromString } from 'node:v8';

/**
 * Young-generation collections (scavenges) run on the thread that triggered them, without V8's
 * helper threads. Every scavenge stalls the requests in flight, so its length is in the p99.
 * Under introspection load a scavenge of the serving thread finds about 30 KB still alive of the
 * 13 MB allocated since the one before (`--trace-gc-nvp`): the copying is a fraction of a
 * millisecond, and what the parallel scavenger adds is waiting for its helpers, which on two
 * cores shared with the load (and the catch-up and log threads) are seldom free at once. With
 * two nodes side by side at 100k tokens, loaded at the same time (3 rounds of 15 s, machine load
 * 15-20): median pause 5.8/7.6/3.7 ms with helpers, 3.7/3.7/2.4 without; its parallel phase
 * 2.4-4.5 ms against 0.7-1.1. The pauses' total per request did not change.
 * V8 reads this flag at each scavenge, so it takes effect when set after start (the young
 * generation's size cannot be: it is fixed when the isolate is made). It is process-wide:
 * worker threads' scavenges are single-threaded too.
 */
export const scavengeWithoutHelperThreads = (): void => setFlagsFromString('--no-parallel-scavenge');
