import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GlobalPosition, SqliteEventStore } from '@keyhold/event-store';
import { SqliteReadModelStore } from '../sqlite/sqlite-read-model-store';
import { issueTokens } from '../testing/personal-token-events';
import { recording } from '../testing/recording-projection';
import { TOKENS, tokensProjection, TokenView } from '../views/tokens.view';
import { IN_MEMORY_CHECKPOINTS, Projection, ProjectionRunner } from './projection-runner';
import { bulkLoadingFromNothing, catchUpTogether } from './shared-catch-up';
import { DutyCycleClock, ThreadDutyCycle } from './thread-duty-cycle';

const silent = { error: () => undefined };

const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};


/** The real log, counting its reads: the claim under test is one read of the log for all projections. */
const countingReads = (events: SqliteEventStore) => {
  const reads = { count: 0 };
  const store = new Proxy(events, {
    get: (target, property, receiver) =>
      property === 'readAll'
        ? (after: GlobalPosition | null, limit: number) => ((reads.count += 1), target.readAll(after, limit))
        : Reflect.get(target, property, receiver),
  });
  return { store, reads };
};

describe('Projections catching up together', () => {
  const open = () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyhold-catch-up-'));
    const file = join(dir, 'rm.sqlite');
    const readModels = new SqliteReadModelStore(file);
    return { events: new SqliteEventStore(join(dir, 'events.sqlite')), readModels, batch: readModels.batch.bind(readModels), file };
  };

  /** The indexes a collection's table has, as another connection (a serving node's) sees them. */
  const indexesOn = (file: string, collection: string) => {
    const db = new Database(file, { readonly: true });
    try {
      return db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL`).all(`rm_${collection}`).length;
    } finally {
      db.close();
    }
  };

  /** Catches the tokens view up beside a projection that counts the tokens table's indexes as the first event is applied. */
  const indexesWhileCatchingUp = async (checkpointFirst: boolean) => {
    const { events, readModels, batch, file } = open();
    await issueTokens(events, 10);
    const all = (await events.readAll(null, 100)).map((e) => e.globalPosition);
    if (checkpointFirst) await readModels.saveCheckpoint('tokens', all[0]);
    const seen: number[] = [];
    const probe: Projection = { name: 'probe', apply: () => void (seen.length === 0 && seen.push(indexesOn(file, TOKENS.name))) };
    const runners = [new ProjectionRunner(events, readModels, tokensProjection(readModels), silent), new ProjectionRunner(events, readModels, probe, silent)];
    const indexed = indexesOn(file, TOKENS.name);
    const targets = [
      { runner: runners[0], store: readModels, collections: [TOKENS] },
      { runner: runners[1], store: readModels, collections: [] },
    ];

    const reached = await bulkLoadingFromNothing(targets, () => catchUpTogether(events, runners, batch, silent, { pageSize: 5 }));

    expect(reached).toBe(all[all.length - 1]);
    const tokens = await readModels.collection<TokenView>(TOKENS).list({ where: {}, orderBy: 'id', direction: 'asc', limit: 100 });
    expect(tokens.items).toHaveLength(checkpointFirst ? 9 : 10);
    return { indexed, during: seen[0], after: indexesOn(file, TOKENS.name) };
  };

  it('fill the collections of a projection that starts from nothing without their indexes, and index them once at the end', async () => {
    const { indexed, during, after } = await indexesWhileCatchingUp(false);

    expect(indexed).toBe(TOKENS.indexes.length);
    expect(during).toBe(0);
    expect(after).toBe(TOKENS.indexes.length);
  });

  it('keep the indexes of a projection that catches up from a checkpoint: its collections are not empty', async () => {
    const { during, after } = await indexesWhileCatchingUp(true);

    expect(during).toBe(TOKENS.indexes.length);
    expect(after).toBe(TOKENS.indexes.length);
  });

  it('read the log once for every projection, apply each event once to each from its own checkpoint, and save the checkpoints', async () => {
    const { events, readModels, batch } = open();
    const tokenIds = await issueTokens(events, 25);
    const head = (await events.headPosition())!;
    const all = (await events.readAll(null, 100)).map((e) => e.globalPosition);
    // One projection was stopped earlier, ten events in; the others never ran.
    await readModels.saveCheckpoint('ahead', all[9]);
    const ahead = recording('ahead');
    const fresh = recording('fresh');
    const runners = [
      new ProjectionRunner(events, readModels, ahead.projection, silent),
      new ProjectionRunner(events, readModels, fresh.projection, silent),
      new ProjectionRunner(events, readModels, tokensProjection(readModels), silent),
    ];
    const { store, reads } = countingReads(events);

    expect(await catchUpTogether(store, runners, batch, silent, { pageSize: 10 })).toBe(head);

    expect(reads.count).toBe(3); // 25 events in pages of 10: 10, 10, 5
    expect(ahead.applied).toEqual(all.slice(10));
    expect(fresh.applied).toEqual(all);
    const tokens = readModels.collection<TokenView>(TOKENS);
    expect((await Promise.all(tokenIds.map((id) => tokens.get(id)))).every((token) => token?.status === 'active')).toBe(true);
    for (const name of ['ahead', 'fresh', 'tokens']) expect(await readModels.getCheckpoint(name)).toBe(head);
    expect(runners.map((runner) => runner.status().position)).toEqual([head, head, head]);
  });

  it('go live afterwards from where they stand, applying nothing twice', async () => {
    const { events, readModels, batch } = open();
    await issueTokens(events, 12);
    const projection = recording('live');
    const runner = new ProjectionRunner(events, readModels, projection.projection, silent);
    await catchUpTogether(events, [runner], batch, silent, { pageSize: 5 });
    await runner.start();
    await issueTokens(events, 3);
    expect(await runner.waitFor((await events.headPosition())!, 5000)).toBe(true);
    await runner.stop();

    const all = (await events.readAll(null, 100)).map((e) => e.globalPosition);
    expect(projection.applied).toEqual(all);
  });

  it('roll a page back whole when one projection throws on it, and leave the rest to the live runners, which isolate the failing one', async () => {
    const { events, readModels, batch } = open();
    await issueTokens(events, 10);
    const all = (await events.readAll(null, 100)).map((e) => e.globalPosition);
    let broken = true;
    const flaky = recording('flaky', (event) => broken && event.globalPosition === all[6]);
    const runners = [new ProjectionRunner(events, readModels, flaky.projection, silent), new ProjectionRunner(events, readModels, tokensProjection(readModels), silent)];
    const errors: string[] = [];

    const reached = await catchUpTogether(events, runners, batch, { error: (message) => errors.push(message) }, { pageSize: 5 });

    // The first page committed; the second, where flaky threw, left no trace in either projection.
    expect(reached).toBe(all[4]);
    expect(errors).toHaveLength(1);
    expect(await readModels.getCheckpoint('tokens')).toBe(all[4]);
    expect(await readModels.getCheckpoint('flaky')).toBe(all[4]);
    const tokens = await readModels.collection<TokenView>(TOKENS).list({ where: {}, orderBy: 'id', direction: 'asc', limit: 100 });
    expect(tokens.items).toHaveLength(5);

    await Promise.all(runners.map((runner) => runner.start()));
    expect(await runners[1].waitFor(all[9], 5000)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(runners[0].status().failure?.message).toBe('flaky cannot apply this event');
    broken = false;
    expect(await runners[0].waitFor(all[9], 10_000)).toBe(true);
    // Its memory of the rolled-back page is not rolled back (the store's is): it saw that page's start twice.
    expect(new Set(flaky.applied)).toEqual(new Set(all));
    expect(flaky.applied.slice(-4)).toEqual(all.slice(6));
    expect((await readModels.collection<TokenView>(TOKENS).list({ where: {}, orderBy: 'id', direction: 'asc', limit: 100 })).items).toHaveLength(10);
    await Promise.all(runners.map((runner) => runner.stop()));
  });

  it('let the event loop turn between pages, so that a node catching up still answers requests', async () => {
    const { events, readModels, batch } = open();
    await issueTokens(events, 25);
    // A callback queued for the loop's next turn: without a yield between pages, every await on
    // SQLite resolves as a microtask and it could run only once the catch-up is over. (A timer
    // would also need a millisecond to pass, which made this test depend on the machine's speed.)
    let timerFired = false;
    let firedBeforeLastEvent: boolean | null = null;
    const head = (await events.headPosition())!;
    const watching: Projection = { name: 'watching', apply: (event) => void (event.globalPosition === head && (firedBeforeLastEvent = timerFired)) };
    setImmediate(() => (timerFired = true));

    await catchUpTogether(events, [new ProjectionRunner(events, readModels, watching, silent)], batch, silent, { pageSize: 5 });

    expect(firedBeforeLastEvent).toBe(true);
  });

  it('hold the thread a short slice at a time while a big backlog is applied, so that a request waits milliseconds, not a page', async () => {
    const { events, readModels, batch } = open();
    for (let owner = 0; owner < 5; owner += 1) await issueTokens(events, 100);
    // A projection whose writes cost 2 ms of CPU per event: applied in one page, the 500 would hold the thread for a second.
    const costly: Projection = {
      name: 'costly',
      apply: () => {
        const until = cpuMs() + 2;
        while (cpuMs() < until);
      },
    };
    // What the catch-up holds the thread for, in CPU time between two turns of a timer: wall time
    // would also count other processes' turns on a busy machine.
    let longestHoldMs = 0;
    let before = cpuMs();
    const timer = setInterval(() => {
      const now = cpuMs();
      longestHoldMs = Math.max(longestHoldMs, now - before);
      before = now;
    }, 5);

    const reached = await catchUpTogether(events, [new ProjectionRunner(events, readModels, costly, silent)], batch, silent);
    clearInterval(timer);

    expect(reached).toBe(await events.headPosition());
    expect(longestHoldMs).toBeLessThan(100);
  }, 30_000);

  it('when paced, apply whole pages and rest after each, so that a background catch-up keeps to its share of the thread', async () => {
    const { events } = open();
    await issueTokens(events, 45);
    const logLength = (await events.readAll(null, 1000)).length;
    // Every reading of the busy time finds 1 ms more: each page, with its read, counts as 1 ms of work.
    let busyMicros = 0;
    const rests: number[] = [];
    const clock: DutyCycleClock = { busyMicros: () => (busyMicros += 1000), endOfTurn: async () => undefined, sleep: async (ms) => void rests.push(ms) };
    const pages: number[] = [];
    const paging: Projection = { name: 'paging', apply: () => undefined, applyPage: async (page) => void pages.push(page.length) };

    const reached = await catchUpTogether(events, [new ProjectionRunner(events, IN_MEMORY_CHECKPOINTS, paging, silent)], (work) => work(), silent, {
      pageSize: 20,
      pace: new ThreadDutyCycle(0.25, clock),
    });

    expect(reached).toBe(await events.headPosition());
    expect(pages).toEqual([20, 20, logLength - 40]);
    expect(rests).toEqual([3, 3, 3]);
  });

  it('end at the last committed page when the service stops, and leave a stopped runner stopped', async () => {
    const { events, readModels, batch } = open();
    await issueTokens(events, 10);
    const all = (await events.readAll(null, 100)).map((e) => e.globalPosition);
    const projection = recording('stopping');
    const runner = new ProjectionRunner(events, readModels, projection.projection, silent);
    let pages = 0;
    const countingBatch = <T>(work: () => Promise<T>) => ((pages += 1), batch(work));

    expect(await catchUpTogether(events, [runner], countingBatch, silent, { pageSize: 5, stopping: () => pages === 1 })).toBe(all[4]);

    await runner.stop();
    await runner.start();
    await issueTokens(events, 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(projection.applied).toEqual(all.slice(0, 5));
    expect(await readModels.getCheckpoint('stopping')).toBe(all[4]);
  });
});
