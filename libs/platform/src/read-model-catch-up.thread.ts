import { parentPort, workerData } from 'node:worker_threads';
import { bulkLoadingFromNothing, catchUpTogether, lowerThisThreadsPriority } from '@keyhold/read-models';
import { openOnThisThread } from './read-model-thread';
import type { CatchUpThreadCommand, CatchUpThreadInput, CatchUpThreadMessage } from './worker-thread-catch-up';

/** Often enough that a reader waiting for its write is told within about a slice of the commit. */
const PROGRESS_EVERY_MS = 50;

const post = (message: CatchUpThreadMessage) => parentPort!.postMessage(message);

/** The thread's side of `WorkerThreadCatchUp`: opens its own connections and catches up the named projections together. */
const catchUp = async ({ eventLogFile, readModelsFile, projections, sliceMs }: CatchUpThreadInput): Promise<void> => {
  let stopping = false;
  parentPort!.on('message', (command: CatchUpThreadCommand) => (stopping ||= command.kind === 'stop'));
  // The catch-up's own work keeps the thread alive; listening for a stop must not once it is done.
  parentPort!.unref();
  lowerThisThreadsPriority();

  const { log, generations, logger, targets } = await openOnThisThread({ eventLogFile, readModelsFile, projections }, post);
  const runners = targets.map((target) => target.runner);
  const report = () => post({ kind: 'progress', positions: runners.map((runner) => runner.status().position) });
  const reporting = setInterval(report, PROGRESS_EVERY_MS);
  try {
    const store = generations.at(0);
    // Between slices, as a rebuild between its batches: the serving thread's writes get in, and a long WAL starts over.
    const batch = async <T>(work: () => Promise<T>): Promise<T> => {
      const result = await store.batch(work);
      await store.leaveRoomForOtherWriters();
      return result;
    };
    const position = await bulkLoadingFromNothing(targets, () => catchUpTogether(log, runners, batch, logger, { stopping: () => stopping, sliceMs }));
    report();
    post({ kind: 'done', position });
  } finally {
    clearInterval(reporting);
    await generations.close();
    await log.close();
  }
};

catchUp(workerData as CatchUpThreadInput).catch((error: Error) => post({ kind: 'failed', message: error.message }));
