import { parentPort, workerData } from 'node:worker_threads';
import { liveTogether } from '@keyhold/read-models';
import { openOnThisThread } from './read-model-thread';
import { exportTraces } from './tracing';
import type { LiveThreadCommand, LiveThreadInput, LiveThreadMessage } from './worker-thread-live';

/**
 * How often this thread's own connection looks for commits it was not told of. The serving
 * thread tells it of every commit it sees (`WorkerThreadLive`): its own group commits, and other
 * processes' (the API beside a worker, the CLI), which its own watch on the log notices every
 * 10 ms while anything subscribes there, as the relay and the credential index always do. A
 * second watch here at that rate (with a report every 50 ms) cost an idle node about 1.5% of a
 * core in wake-ups, against 0.3% now; this one is only a safety net.
 */
const WATCH_LOG_MS = 1000;

/** For a projection that left the group after a failure and runs alone: its progress is told at most this late. */
const REPORT_EVERY_MS = 250;

const post = (message: LiveThreadMessage) => parentPort!.postMessage(message);

/** Ends the thread whatever handles are left open (after a failure, the stores it did open): the serving thread waits for its exit. */
const endThisThread = () => process.exit();

/** The thread's side of `WorkerThreadLive`: opens its own connections and keeps the named projections live together. */
const keepLive = async ({ eventLogFile, readModelsFile, projections }: LiveThreadInput): Promise<void> => {
  // The pages' spans ('read models page', named by the requests whose events they applied) are made here now.
  const endpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const tracing = endpoint ? exportTraces(endpoint) : null;
  const { log, generations, logger, targets } = await openOnThisThread({ eventLogFile, readModelsFile, projections }, post, WATCH_LOG_MS);
  const runners = new Map(targets.map(({ name, runner }) => [name, runner]));
  for (const runner of runners.values()) await runner.load();
  let reported = '';
  const report = () => {
    const statuses = [...runners.values()].map((runner) => {
      const { position, failure } = runner.status();
      return { position, failure };
    });
    const text = JSON.stringify(statuses);
    if (text === reported) return;
    reported = text;
    post({ kind: 'progress', statuses });
  };
  const store = generations.at(0);
  const live = liveTogether(log, [...runners.values()], (work) => store.batch(work), logger, report);
  const reporting = setInterval(report, REPORT_EVERY_MS);

  const stop = async () => {
    clearInterval(reporting);
    await live.close();
    await Promise.all([...runners.values()].map((runner) => runner.stop()));
    report();
    await generations.close();
    await log.close();
    await tracing?.shutdown();
  };
  parentPort!.on('message', (command: LiveThreadCommand) => {
    switch (command.kind) {
      case 'appended':
        return log.noticeCommit();
      case 'leave':
        return void runners.get(command.projection)?.stop();
      case 'stop':
        return void stop()
          .catch((error: Error) => post({ kind: 'failed', message: error.message }))
          .finally(endThisThread);
      default:
        return command satisfies never;
    }
  });
};

keepLive(workerData as LiveThreadInput).catch((error: Error) => {
  post({ kind: 'failed', message: error.message });
  endThisThread();
});
