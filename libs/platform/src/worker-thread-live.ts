import { Worker } from 'node:worker_threads';
import { GlobalPosition, threadEntry } from '@keyhold/event-store';
import { ProjectionStatus } from '@keyhold/read-models';
import { CatchingUp, CatchUpControl } from './read-model-catch-up';
import { LiveReadModels, ReadModelsLive } from './read-models-live';
import { advance, followThreadReports, ReadModelThreadInput, ThreadReport } from './read-model-thread';

/** What the thread is given: the files to open connections of its own on, and the projections to keep live. */
export type LiveThreadInput = ReadModelThreadInput;

/** Statuses are in the order of `LiveThreadInput.projections`. */
export type LiveThreadMessage =
  | { readonly kind: 'progress'; readonly statuses: ReadonlyArray<{ readonly position: GlobalPosition | null; readonly failure: ProjectionStatus['failure'] }> }
  | ThreadReport;

export type LiveThreadCommand =
  | { readonly kind: 'appended' }
  | { readonly kind: 'leave'; readonly projection: string }
  | { readonly kind: 'stop' };

/** The serving thread's log, which tells of each commit it sees. */
export type AppendsHere = { onAppended(listener: () => void): () => void };

/**
 * Keeps the embedded read models live on a worker thread with connections of its own to the log
 * and to the read models, running the very projections the serving thread would (by name, from
 * `READ_MODEL_PROJECTIONS`), together as `liveTogether` does. On the serving thread, applying each
 * group commit's events and committing them took about a quarter of its time under
 * `POST /v1/tokens` at 50 connections (`bench/`, workload 3): the read models' BEGIN and COMMIT,
 * whose WAL writes are a system call per page, the documents' writes and the views' work. The
 * thread tells each committed page to the runners here, which is what a command waits on
 * (read-your-writes), and each projection's failure, which its status shows.
 *
 * The thread hears of every commit this thread's log sees (`appendsHere`: its own group commits as
 * each lands, and other processes' as its watch notices them), so that a command's wait does not
 * include an interval at which the thread's own connection looks.
 *
 * Should the thread stop on its own (it failed to open, or crashed), the projections go on on
 * this thread (`nearby`) from where it had told they stood: a page applied twice is harmless, as
 * after any crash.
 */
export class WorkerThreadLive implements ReadModelsLive {
  constructor(
    private readonly files: { readonly eventLogFile: string; readonly readModelsFile: string },
    private readonly appendsHere: AppendsHere,
    private readonly nearby: ReadModelsLive,
  ) {}

  start(projections: readonly CatchingUp[], control: CatchUpControl): LiveReadModels {
    const input: LiveThreadInput = { ...this.files, projections: projections.map(({ name, generation }) => ({ name, generation })) };
    const { filename, execArgv } = threadEntry(__filename, 'read-models-live.thread');
    // The environment as this module sees it (OTEL_EXPORTER_OTLP_ENDPOINT: the thread traces its pages as the process does).
    const thread = new Worker(filename, { workerData: input, execArgv, env: process.env });
    const stopTelling = this.appendsHere.onAppended(() => thread.postMessage({ kind: 'appended' } satisfies LiveThreadCommand));
    const exited = new Promise<void>((resolve) => thread.once('exit', () => resolve()));
    const left = new Set<string>();
    let closing = false;
    let handedBack: LiveReadModels | null = null;
    const failure = followThreadReports(thread, control.logger, 'the thread ended');
    thread.on('message', (message: LiveThreadMessage) => {
      if (message.kind !== 'progress') return;
      message.statuses.forEach(({ position, failure: failed }, n) => {
        advance(projections[n], position);
        projections[n].runner.failedElsewhere(failed);
      });
    });
    thread.on('exit', () => {
      stopTelling();
      if (closing || control.stop.aborted) return;
      control.logger.error('The read models\' live thread stopped; they go on on the serving thread', { error: failure() });
      handedBack = this.nearby.start(projections.filter(({ name }) => !left.has(name)), control);
    });

    return {
      leave: (projection) => {
        left.add(projection);
        if (handedBack) handedBack.leave(projection);
        else thread.postMessage({ kind: 'leave', projection } satisfies LiveThreadCommand);
      },
      close: async () => {
        closing = true;
        if (handedBack) return handedBack.close();
        thread.postMessage({ kind: 'stop' } satisfies LiveThreadCommand);
        await exited;
      },
    };
  }
}
