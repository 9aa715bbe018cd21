import { randomUUID } from 'node:crypto';
import { TOKENS } from '@keyhold/read-models';
import { issueTokens } from '../../read-models/src/testing/personal-token-events';
import { ReadModelCatchUp } from './read-model-catch-up';
import { embeddedReadModels } from './testing/embedded-read-models';
import { WorkerThreadCatchUp } from './worker-thread-catch-up';

const OWNERS = 4;
const TOKENS_EACH = 50;
/** Fewer events behind than this are caught up on the calling thread; the log here has more. */
const WORTHWHILE = 100;

const setUp = async () => {
  const embedded = await embeddedReadModels();
  const tenantId = randomUUID();
  const ids = (await Promise.all(Array.from({ length: OWNERS }, () => issueTokens(embedded.log, TOKENS_EACH, randomUUID(), tenantId)))).flat();
  const here: string[] = [];
  const nearby: ReadModelCatchUp = { run: async (projections) => (here.push(...projections.map((p) => p.name)), { position: null, onThread: false }) };
  const catchUp = new WorkerThreadCatchUp(embedded.files, embedded.log, nearby, WORTHWHILE);
  return { ...embedded, ids, catchingUp: embedded.projections, here, catchUp };
};

describe('WorkerThreadCatchUp', () => {
  it('catches the read models up on a worker thread, and the runners here stand where it committed', async () => {
    const { log, ids, generations, logger, errors, catchingUp, here, catchUp, close } = await setUp();
    try {
      const head = (await log.headPosition())!;
      const tokens = catchingUp.find((p) => p.name === 'tokens')!.runner;
      const reader = tokens.waitFor(head, 60_000);

      expect(await catchUp.run(catchingUp, { stop: new AbortController().signal, logger })).toEqual({ position: head, onThread: true });

      expect(here).toEqual([]);
      expect(errors).toEqual([]);
      expect(await reader).toBe(true);
      for (const { runner } of catchingUp) expect(runner.status().position).toBe(head);
      // Written by the thread's own connection into the same file, read here through this one.
      const views = generations.at(0).collection<{ id: string; label: string }>(TOKENS);
      expect(await views.get(ids[0])).toMatchObject({ id: ids[0], label: 't0' });
      expect(await views.get(ids[ids.length - 1])).toMatchObject({ id: ids[ids.length - 1] });
      expect(await generations.at(0).getCheckpoint('tokens')).toBe(head);
    } finally {
      await close();
    }
  }, 60_000);

  it('ends at a committed slice when told to stop, and the runners here stand where the checkpoints say', async () => {
    const { generations, logger, catchingUp, catchUp, close } = await setUp();
    try {
      const stop = new AbortController();
      const running = catchUp.run(catchingUp, { stop: stop.signal, logger });
      stop.abort();
      const { position: reached } = await running;

      for (const { name, runner } of catchingUp) {
        expect(runner.status().position).toBe(reached);
        expect(await generations.at(0).getCheckpoint(name)).toBe(reached);
      }
    } finally {
      await close();
    }
  }, 60_000);

  it('leaves a catch-up too short to be worth a thread to the calling thread', async () => {
    const { log, logger, catchingUp, here, close } = await setUp();
    try {
      const files = { eventLogFile: '/nonexistent/events.sqlite', readModelsFile: '/nonexistent/read-models.sqlite' };
      const nearby: ReadModelCatchUp = { run: async (projections) => (here.push(...projections.map((p) => p.name)), { position: null, onThread: false }) };
      const catchUp = new WorkerThreadCatchUp(files, log, nearby, OWNERS * TOKENS_EACH + 1);

      await catchUp.run(catchingUp, { stop: new AbortController().signal, logger });

      expect(here).toEqual(catchingUp.map((p) => p.name));
    } finally {
      await close();
    }
  }, 60_000);
});
