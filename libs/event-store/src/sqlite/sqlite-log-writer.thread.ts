import { parentPort, workerData } from 'node:worker_threads';
import { BatchWritten, describeFailure, LogWriterCommand, SqliteLogAppender } from './sqlite-log-appender';

/** The writer thread of `SqliteEventStore`: one batch at a time, answered in order. */
const appender = new SqliteLogAppender((workerData as { filename: string }).filename);

parentPort!.on('message', (command: LogWriterCommand) => {
  switch (command.kind) {
    case 'write':
      try {
        parentPort!.postMessage({ ok: true, outcomes: appender.write(command.batch) } satisfies BatchWritten);
      } catch (error) {
        parentPort!.postMessage({ ok: false, failure: describeFailure(error) } satisfies BatchWritten);
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
