import { Worker } from 'node:worker_threads';
import { ProjectionLogger } from '@keyhold/read-models';

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
