import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { HISTORY, TOKENS } from '@keyhold/read-models';
import { issueTokens } from '../../read-models/src/testing/personal-token-events';
import { CatchingUp } from './read-model-catch-up';
import { LiveReadModels, ReadModelsLive } from './read-models-live';
import { embeddedReadModels } from './testing/embedded-read-models';
import { WorkerThreadLive } from './worker-thread-live';

/** Every projection kept live on the thread, and where the ones handed back to this thread went (none, unless it stopped). */
const setUp = async () => {
  const embedded = await embeddedReadModels();
  const handedBack: string[][] = [];
  const nearby: ReadModelsLive = {
    start: (projections) => (handedBack.push(projections.map(({ name }) => name)), { leave: () => undefined, close: async () => undefined }),
  };
  const stop = new AbortController();
  const start = (files = embedded.files): LiveReadModels => new WorkerThreadLive(files, embedded.log, nearby).start(embedded.projections, { stop: stop.signal, logger: embedded.logger });
  return { ...embedded, handedBack, start, stop };
};

const runnerOf = (projections: readonly CatchingUp[], name: string) => projections.find((p) => p.name === name)!.runner;

describe('WorkerThreadLive', () => {
  it("applies each group commit on its own thread, and a command's wait here ends once the thread committed it", async () => {
    const { log, generations, errors, projections, handedBack, start, close } = await setUp();
    const live = start();
    try {
      const ownerId = randomUUID();
      const ids = await issueTokens(log, 20, ownerId);
      const head = (await log.headPosition())!;

      const reached = await Promise.all(projections.map(({ runner }) => runner.waitFor(head, 10_000)));

      expect(reached.every(Boolean)).toBe(true);
      // Written by the thread's own connection, read here through this one.
      const tokens = generations.at(0).collection<{ id: string; label: string; ownerId: string }>(TOKENS);
      expect(await tokens.get(ids[19])).toMatchObject({ id: ids[19], label: 't19', ownerId });
      const [first] = await log.readAll(null, 1);
      expect(await generations.at(0).collection(HISTORY).get(first.metadata.eventId)).toMatchObject({ subjectId: ids[0] });
      expect(errors).toEqual([]);
      expect(handedBack).toEqual([]);
    } finally {
      await live.close();
      await close();
    }
  }, 60_000);

  it('stops applying a projection that left (a rebuild moved it) while the others go on', async () => {
    const { log, generations, projections, start, close } = await setUp();
    const live = start();
    try {
      const before = await issueTokens(log, 2);
      const first = (await log.headPosition())!;
      expect(await runnerOf(projections, 'tokens').waitFor(first, 10_000)).toBe(true);

      live.leave('tokens');
      const after = await issueTokens(log, 2);
      const head = (await log.headPosition())!;

      expect(await runnerOf(projections, 'history').waitFor(head, 10_000)).toBe(true);
      expect(runnerOf(projections, 'tokens').status().position).toBe(first);
      const tokens = generations.at(0).collection(TOKENS);
      expect(await tokens.get(before[1])).not.toBeNull();
      expect(await tokens.get(after[0])).toBeNull();
    } finally {
      await live.close();
      await close();
    }
  }, 60_000);

  it('ends at a committed page when closed: each checkpoint saved where its runner here stands', async () => {
    const { log, generations, projections, start, close } = await setUp();
    const live = start();
    try {
      await issueTokens(log, 10);
      const head = (await log.headPosition())!;
      await Promise.all(projections.map(({ runner }) => runner.waitFor(head, 10_000)));

      await live.close();

      for (const { name, runner } of projections) {
        expect(runner.status().position).toBe(head);
        expect(await generations.at(0).getCheckpoint(name)).toBe(head);
      }
    } finally {
      await close();
    }
  }, 60_000);

  it("sends its pages' spans to the collector the process traces to (OTEL_EXPORTER_OTLP_ENDPOINT)", async () => {
    const received: string[] = [];
    const collector = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        received.push(`${request.url} ${body}`);
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const { log, projections, start, close } = await setUp();
    // A thread takes the process's environment as it starts.
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
    const live = start();
    delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    try {
      await issueTokens(log, 3);
      const head = (await log.headPosition())!;
      await Promise.all(projections.map(({ runner }) => runner.waitFor(head, 10_000)));

      // The thread's spans are sent in batches; stopping sends what is left.
      await live.close();

      const sent = received.join('\n');
      expect(sent).toContain('/v1/traces');
      expect(sent).toContain('read models page');
    } finally {
      collector.close();
      await close();
    }
  }, 60_000);

  it.each([
    ['as it starts (its files cannot be opened)', { eventLogFile: '/nonexistent/events.sqlite', readModelsFile: '/nonexistent/read-models.sqlite' }, []],
    ['with its stores open (a projection it does not know)', undefined, ['no-such-projection']],
  ])('hands the projections back to this thread when the thread stops on its own: %s', async (_, files, unknown) => {
    const { errors, projections, handedBack, start, close } = await setUp();
    for (const name of unknown) projections.push({ ...projections[0], name });
    const live = start(files);
    try {
      for (let waited = 0; handedBack.length === 0 && waited < 10_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));

      expect(handedBack).toEqual([projections.map(({ name }) => name)]);
      expect(errors).toEqual([expect.stringContaining('live thread stopped')]);
    } finally {
      await live.close();
      await close();
    }
  }, 60_000);
});
