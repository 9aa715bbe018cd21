import { Worker } from 'node:worker_threads';
import { EventStore, GlobalPosition, threadEntry } from '@keyhold/event-store';
import { CatchingUp, CatchUpControl, CatchUpOutcome, ReadModelCatchUp } from './read-model-catch-up';
import { advance, followThreadReports, ReadModelThreadInput, ThreadReport } from './read-model-thread';

/** What the thread is given: the files to open connections of its own on, and what to catch up. */
export type CatchUpThreadInput = ReadModelThreadInput & { readonly sliceMs: number };

/** Positions are in the order of `CatchUpThreadInput.projections`. */
export type CatchUpThreadMessage =
  | { readonly kind: 'progress'; readonly positions: ReadonlyArray<GlobalPosition | null> }
  | { readonly kind: 'done'; readonly position: GlobalPosition | null }
  | ThreadReport;

export type CatchUpThreadCommand = { readonly kind: 'stop' };

/**
 * Below this many events behind, starting a thread (loading the projections' code and opening
 * connections, about 100 ms of CPU) costs more than catching up here in a few slices.
 */
const THREAD_WORTHWHILE_EVENTS = 2000;

/**
 * A slice on the thread holds the read models' write lock for its length, and the serving
 * thread's own writes (last-used times, checkpoints) wait that long; the slice's time ends it
 * before its page of 10,000 events does. Slices of 50 ms did not shorten the serving thread's
 * waits (a dropped read model at 300k events under 10 connections, 5 s windows: client_credentials
 * p99 29-58 ms and one window of 2 s, against 18-38 ms at 200 ms), and the catch-up took 126 s
 * instead of 96-116 s.
 */
const THREAD_SLICE_MS = 200;

/**
 * Catches up the embedded read models on a worker thread with connections of its own to the log
 * and to the read models, running the very projections the worker runs (by name, from
 * `READ_MODEL_PROJECTIONS`). On the serving thread, even in 10 ms slices, a catch-up of a
 * dropped read model left a node 0.08 of its steady throughput (`bench/`, workload 8): each turn
 * of the event loop served a few requests between a slice and its commit. The thread reports what
 * it has committed as it goes; the runners here go live from where it ended.
 */
export class WorkerThreadCatchUp implements ReadModelCatchUp {
  constructor(
    private readonly files: { readonly eventLogFile: string; readonly readModelsFile: string },
    private readonly log: EventStore,
    /** Catches up what is too little to be worth a thread. */
    private readonly nearby: ReadModelCatchUp,
    private readonly worthwhileEvents = THREAD_WORTHWHILE_EVENTS,
  ) {}

  async run(projections: readonly CatchingUp[], control: CatchUpControl): Promise<CatchUpOutcome> {
    if (!(await this.farBehind(projections))) return this.nearby.run(projections, control);
    return this.onThread(projections, control);
  }

  private async farBehind(projections: readonly CatchingUp[]): Promise<boolean> {
    const positions = await Promise.all(projections.map((p) => p.runner.load()));
    if (positions.length === 0) return false;
    const after = positions.includes(null) ? null : positions.reduce((min, p) => (p! < min! ? p : min));
    return (await this.log.countAfter(after, this.worthwhileEvents)) >= this.worthwhileEvents;
  }

  private onThread(projections: readonly CatchingUp[], { stop, logger }: CatchUpControl): Promise<CatchUpOutcome> {
    const input: CatchUpThreadInput = {
      ...this.files,
      projections: projections.map(({ name, generation }) => ({ name, generation })),
      sliceMs: THREAD_SLICE_MS,
    };
    const { filename, execArgv } = threadEntry(__filename, 'read-model-catch-up.thread');
    const thread = new Worker(filename, { workerData: input, execArgv });
    const stopThread = () => thread.postMessage({ kind: 'stop' } satisfies CatchUpThreadCommand);
    stop.addEventListener('abort', stopThread);
    if (stop.aborted) stopThread();
    let outcome: { position: GlobalPosition | null } | null = null;
    const failure = followThreadReports(thread, logger, 'the catch-up thread ended without a result');
    return new Promise((resolve, reject) => {
      thread.on('message', (message: CatchUpThreadMessage) => {
        if (message.kind === 'progress') message.positions.forEach((position, n) => advance(projections[n], position));
        else if (message.kind === 'done') outcome = { position: message.position };
      });
      thread.on('exit', () => {
        stop.removeEventListener('abort', stopThread);
        if (outcome) resolve({ position: outcome.position, onThread: true });
        else reject(new Error(failure()));
      });
    });
  }
}
