import { parentPort, workerData } from 'node:worker_threads';
import { AppendRequest, describeFailure, SqliteLogAppender } from './sqlite-log-appender';

/** The writer thread of `SqliteEventStore`: one batch at a time, answered in order. See `SqliteEventStore`. */
export type LogWriterCommand = { readonly kind: 'write'; readonly batch: readonly AppendRequest[] } | { readonly kind: 'close' };

const appender = new SqliteLogAppender((workerData as { filename: string }).filename);

parentPort!.on('message', (command: LogWriterCommand) => {
  switch (command.kind) {
    case 'write':
      try {
        parentPort!.postMessage({ ok: true, outcomes: appender.write(command.batch) });
      } catch (error) {
        parentPort!.postMessage({ ok: false, failure: describeFailure(error) });
      }
      return;
    case 'close':
      appender.close();
      parentPort!.close();
      return;
    default:
      return command satisfies never;
  }
});
