import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '@keyhold/event-store';
import { SqliteReadModelStore } from '../sqlite/sqlite-read-model-store';
import { issueTokens } from '../testing/personal-token-events';
import { recording } from '../testing/recording-projection';
import { TOKENS, tokensProjection, TokenView } from '../views/tokens.view';
import { liveTogether } from './live-together';
import { ProjectionRunner } from './projection-runner';
import { Batch } from './shared-catch-up';

const silent = { error: () => undefined };


describe('Read-model projections live together', () => {
  const open = () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyhold-live-'));
    const readModels = new SqliteReadModelStore(join(dir, 'rm.sqlite'));
    const units = { count: 0 };
    const batch: Batch = (work) => ((units.count += 1), readModels.batch(work));
    return { events: new SqliteEventStore(join(dir, 'events.sqlite')), readModels, batch, units };
  };

  it('apply the appends of one group commit as one unit: every projection has every event, and its checkpoint, once it commits', async () => {
    const { events, readModels, batch, units } = open();
    const counting = recording('counting');
    const runners = [new ProjectionRunner(events, readModels, tokensProjection(readModels), silent), new ProjectionRunner(events, readModels, counting.projection, silent)];
    await Promise.all(runners.map((runner) => runner.load()));
    const live = liveTogether(events, runners, batch, silent);

    // Twenty owners issue at once: one group commit of the log, so one page.
    const ids = (await Promise.all(Array.from({ length: 20 }, () => issueTokens(events, 1, randomUUID())))).flat();
    const head = (await events.headPosition())!;
    expect(await Promise.all(runners.map((runner) => runner.waitFor(head, 5000)))).toEqual([true, true]);

    expect(units.count).toBe(1);
    expect(counting.applied).toHaveLength(20);
    const tokens = readModels.collection<TokenView>(TOKENS);
    expect((await Promise.all(ids.map((id) => tokens.get(id)))).every((token) => token?.status === 'active')).toBe(true);
    expect(await readModels.getCheckpoint('counting')).toBe(head);
    await live.close();
  });

  it('let a projection that fails on a page leave the group: the others commit that page, it retries alone and catches up once fixed', async () => {
    const { events, readModels, batch } = open();
    let broken = true;
    const flaky = recording('flaky', (event) => broken && event.type === 'TokenIssued');
    const runners = [new ProjectionRunner(events, readModels, flaky.projection, silent), new ProjectionRunner(events, readModels, tokensProjection(readModels), silent)];
    await Promise.all(runners.map((runner) => runner.load()));
    const live = liveTogether(events, runners, batch, silent);

    const ids = await issueTokens(events, 3);
    const head = (await events.headPosition())!;
    expect(await runners[1].waitFor(head, 5000)).toBe(true);
    const tokens = readModels.collection<TokenView>(TOKENS);
    expect((await Promise.all(ids.map((id) => tokens.get(id)))).map((token) => token?.status)).toEqual(['active', 'active', 'active']);
    expect(await readModels.getCheckpoint(runners[1].status().name)).toBe(head);
    expect(await runners[0].waitFor(head, 300)).toBe(false);
    expect(runners[0].status().failure?.message).toBe('flaky cannot apply this event');
    expect(flaky.applied).toHaveLength(0);

    broken = false;
    expect(await runners[0].waitFor(head, 10_000)).toBe(true);
    expect(flaky.applied).toHaveLength(3);
    await live.close();
    await Promise.all(runners.map((runner) => runner.stop()));
  });
});
