import { parentPort, workerData } from 'node:worker_threads';
import { SqliteEventStore } from '@keyhold/event-store';
import {
  bulkLoadingFromNothing,
  catchUpTogether,
  lowerThisThreadsPriority,
  ProjectionLogger,
  ProjectionRunner,
  projectionNameOf,
  READ_MODEL_PROJECTIONS,
  ReadModelGenerations,
  SqliteReadModelStore,
} from '@keyhold/read-models';
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

  const builds = new Map(READ_MODEL_PROJECTIONS.map((build) => [projectionNameOf(build), build]));
  const log = new SqliteEventStore(eventLogFile);
  const generations = await ReadModelGenerations.open(new SqliteReadModelStore(readModelsFile));
  const logger: ProjectionLogger = { error: (message, detail) => post({ kind: 'log', message, detail }) };
  const targets = projections.map(({ name, generation }) => {
    const build = builds.get(name);
    if (!build) throw new Error(`No read-model projection is named '${name}'.`);
    const store = generations.at(generation);
    const { projection, collections } = generations.bind(build, generation);
    return { runner: new ProjectionRunner(log, store, projection, logger), store, collections };
  });
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
