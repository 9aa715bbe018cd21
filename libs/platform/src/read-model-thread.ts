import { Worker } from 'node:worker_threads';
import { GlobalPosition, SqliteEventStore } from '@keyhold/event-store';
import {
  ProjectionLogger,
  ProjectionRunner,
  projectionNameOf,
  READ_MODEL_PROJECTIONS,
  ReadModelGenerations,
  SqliteReadModelStore,
} from '@keyhold/read-models';
import type { CatchingUp } from './read-model-catch-up';

/** What a read-model thread says besides its own news: a line for the serving thread's log, or why it failed. */
export type ThreadReport =
  | { readonly kind: 'log'; readonly message: string; readonly detail: Record<string, unknown> }
  | { readonly kind: 'failed'; readonly message: string };

/**
 * Writes a read-model thread's log lines to `logger`, and keeps why it failed (a `failed`
 * report, or an error it threw); answers that reason, `ended` while it has given none.
 */
export const followThreadReports = (thread: Worker, logger: ProjectionLogger, ended: string): (() => string) => {
  let failure = ended;
  // Its other messages (progress, done) are its caller's to read; only these two kinds are taken here.
  thread.on('message', (report: ThreadReport) => {
    if (report.kind === 'log') logger.error(report.message, report.detail);
    else if (report.kind === 'failed') failure = report.message;
  });
  thread.on('error', (error) => (failure = error.message));
  return () => failure;
};

/** The files a read-model thread opens connections of its own to, and the projections it runs there, each on its generation. */
export type ReadModelThreadInput = {
  readonly eventLogFile: string;
  readonly readModelsFile: string;
  readonly projections: ReadonlyArray<{ readonly name: string; readonly generation: number }>;
};

/**
 * The thread's side: opens the log and the read models, and binds each named projection (the
 * very code the serving thread would run, from `READ_MODEL_PROJECTIONS`) to its generation with
 * a runner whose errors go to the serving thread's log through `post`.
 */
export const openOnThisThread = async ({ eventLogFile, readModelsFile, projections }: ReadModelThreadInput, post: (report: ThreadReport) => void, watchLogMs?: number) => {
  const builds = new Map(READ_MODEL_PROJECTIONS.map((build) => [projectionNameOf(build), build]));
  const log = new SqliteEventStore(eventLogFile, watchLogMs);
  const generations = await ReadModelGenerations.open(new SqliteReadModelStore(readModelsFile));
  const logger: ProjectionLogger = { error: (message, detail) => post({ kind: 'log', message, detail }) };
  const targets = projections.map(({ name, generation }) => {
    const build = builds.get(name);
    if (!build) throw new Error(`No read-model projection is named '${name}'.`);
    const store = generations.at(generation);
    const { projection, collections } = generations.bind(build, generation);
    return { name, runner: new ProjectionRunner(log, store, projection, logger), store, collections };
  });
  return { log, generations, logger, targets };
};

/** The thread committed up to `position`: the runner stands there (positions only move forward). */
export const advance = ({ runner }: CatchingUp, position: GlobalPosition | null): void => {
  const current = runner.status().position;
  if (position !== null && (current === null || position > current)) runner.committed(position);
};
