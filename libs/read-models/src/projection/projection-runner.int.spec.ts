import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { personalTokensDecider, streamName } from '@keyhold/domain';
import { EventStore, handleCommand, RecordedEvent, SqliteEventStore } from '@keyhold/event-store';
import { SqliteReadModelStore } from '../sqlite/sqlite-read-model-store';
import { issueTokens } from '../testing/personal-token-events';
import { TOKENS, tokensProjection, TokenView } from '../views/tokens.view';
import { CheckpointStore, IN_MEMORY_CHECKPOINTS, Projection, ProjectionRunner } from './projection-runner';

const silent = { error: () => undefined };

const issueAndRevoke = async (events: EventStore, ownerId: string, count: number) => {
  const tenantId = randomUUID();
  const ids = await issueTokens(events, count, ownerId, tenantId);
  const now = new Date().toISOString();
  const context = { tenantId, actorId: ownerId, correlationId: 'c', causationId: 'c', now };
  await handleCommand(events, streamName('personalTokens', ownerId), personalTokensDecider, { type: 'RevokeToken', tokenId: ids[0], revokedBy: ownerId, reason: null, now }, context);
  return ids;
};

const runUntilCaughtUp = async (events: EventStore, checkpoints: CheckpointStore, projection: Projection) => {
  const runner = new ProjectionRunner(events, checkpoints, projection, silent);
  await runner.start();
  const head = await events.headPosition();
  expect(await runner.waitFor(head!, 5000)).toBe(true);
  await runner.stop();
  return runner;
};

describe('Projections', () => {
  const open = () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyhold-projection-'));
    return { events: new SqliteEventStore(join(dir, 'events.sqlite')), readModels: new SqliteReadModelStore(join(dir, 'rm.sqlite')) };
  };

  it('give the same read model when every event is applied again (run twice, nothing changes)', async () => {
    const { events, readModels } = open();
    const ownerId = randomUUID();
    const ids = await issueAndRevoke(events, ownerId, 3);
    const tokens = readModels.collection<TokenView>(TOKENS);
    await runUntilCaughtUp(events, readModels, tokensProjection(readModels));
    const once = await Promise.all(ids.map((id) => tokens.get(id)));
    expect(once.map((t) => t?.status)).toEqual(['revoked', 'active', 'active']);

    // A replay from the very start, as after losing every checkpoint.
    await runUntilCaughtUp(events, IN_MEMORY_CHECKPOINTS, tokensProjection(readModels));
    expect(await Promise.all(ids.map((id) => tokens.get(id)))).toEqual(once);
  });

  it('resume from their checkpoint after a restart without applying anything twice', async () => {
    const { events, readModels } = open();
    await issueAndRevoke(events, randomUUID(), 2);
    const applied: string[] = [];
    const counting: Projection = { name: 'counting', apply: (e: RecordedEvent) => void applied.push(e.globalPosition) };
    await runUntilCaughtUp(events, readModels, counting);
    await issueAndRevoke(events, randomUUID(), 1);
    await runUntilCaughtUp(events, readModels, counting);
    expect(applied).toHaveLength(5);
    expect(new Set(applied).size).toBe(5);
  });

  it('isolate a failing projection: it reports the failure, retries, and catches up once fixed, while others go on', async () => {
    const { events, readModels } = open();
    let broken = true;
    const seen: string[] = [];
    const flaky: Projection = {
      name: 'flaky',
      apply: (e) => {
        if (broken && e.type === 'TokenRevoked') throw new Error('bug in the projection');
        seen.push(e.type);
      },
    };
    const healthyApplied: string[] = [];
    const healthy: Projection = { name: 'healthy', apply: (e) => void healthyApplied.push(e.type) };
    const runners = [new ProjectionRunner(events, readModels, flaky, silent), new ProjectionRunner(events, readModels, healthy, silent)];
    await Promise.all(runners.map((r) => r.start()));
    await issueAndRevoke(events, randomUUID(), 2);
    const head = (await events.headPosition())!;

    expect(await runners[1].waitFor(head, 5000)).toBe(true);
    expect(healthyApplied).toEqual(['TokenIssued', 'TokenIssued', 'TokenRevoked']);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(runners[0].status().failure?.message).toBe('bug in the projection');
    expect(seen).toEqual(['TokenIssued', 'TokenIssued']);

    broken = false;
    expect(await runners[0].waitFor(head, 10_000)).toBe(true);
    expect(runners[0].status().failure).toBeNull();
    expect(seen).toEqual(['TokenIssued', 'TokenIssued', 'TokenRevoked']);
    await Promise.all(runners.map((r) => r.stop()));
  });

  it('hand a projection that takes pages what arrived together as one page, apply a failed page again whole, and checkpoint only what went through', async () => {
    const { events, readModels } = open();
    await issueAndRevoke(events, randomUUID(), 2);
    const positions = async () => (await events.readAll(null, 100)).map((e) => e.globalPosition);
    let broken = true;
    const pages: string[][] = [];
    const paged: Projection = {
      name: 'paged',
      apply: () => {
        throw new Error('applied one event at a time');
      },
      applyPage: async (page) => {
        if (broken) throw new Error('Kafka is away');
        pages.push(page.map((e) => e.globalPosition));
      },
    };
    const runner = new ProjectionRunner(events, readModels, paged, silent);
    await runner.start();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(runner.status()).toMatchObject({ position: null, failure: { message: 'Kafka is away' } });

    broken = false;
    const first = await positions();
    expect(await runner.waitFor(first.at(-1)!, 10_000)).toBe(true);
    expect(pages).toEqual([first]);

    await issueAndRevoke(events, randomUUID(), 1);
    const all = await positions();
    expect(await runner.waitFor(all.at(-1)!, 5000)).toBe(true);
    await runner.stop();
    expect(pages[0]).toEqual(first);
    expect(pages.flat()).toEqual(all);
    expect(await readModels.getCheckpoint('paged')).toBe(all.at(-1));
  });
});
