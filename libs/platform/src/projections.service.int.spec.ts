import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { SqliteEventStore } from '@keyhold/event-store';
import { IN_MEMORY_CHECKPOINTS, Projection, ReadModelGenerations, SqliteReadModelStore } from '@keyhold/read-models';
import { issueTokens } from '../../read-models/src/testing/personal-token-events';
import { ProjectionsService } from './projections.service';

describe('ProjectionsService', () => {
  it("answers a writer once the projections that serve reads have its events, whatever a background one (the relay) is doing", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyhold-projections-'));
    const events = new SqliteEventStore(join(dir, 'events.sqlite'));
    const generations = await ReadModelGenerations.open(new SqliteReadModelStore(join(dir, 'rm.sqlite')), { refreshMs: 60_000 });
    const projections = new ProjectionsService(events, pino({ level: 'silent' }), generations);

    let release!: () => void;
    const kafkaDown = new Promise<void>((resolve) => (release = resolve));
    const applied: string[] = [];
    const index: Projection = { name: 'index', apply: (event) => void applied.push(event.globalPosition) };
    const relay: Projection = { name: 'relay', apply: () => kafkaDown };
    await projections.run(index, IN_MEMORY_CHECKPOINTS);
    await projections.run(relay, IN_MEMORY_CHECKPOINTS, 'background');

    await issueTokens(events, 2, randomUUID(), randomUUID());
    const head = (await events.headPosition())!;
    expect(await projections.waitForReads(head, 5_000)).toBe(true);
    expect(applied).toHaveLength(2);
    expect(projections.statuses().find((status) => status.name === 'relay')?.position).not.toBe(head);

    release();
    await projections.stopAll();
    await generations.close();
  });

  it('still reports a projection that serves reads and has not caught up', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyhold-projections-'));
    const events = new SqliteEventStore(join(dir, 'events.sqlite'));
    const generations = await ReadModelGenerations.open(new SqliteReadModelStore(join(dir, 'rm.sqlite')), { refreshMs: 60_000 });
    const projections = new ProjectionsService(events, pino({ level: 'silent' }), generations);
    let release!: () => void;
    const stuck: Projection = { name: 'stuck-index', apply: () => new Promise<void>((resolve) => (release = resolve)) };
    await projections.run(stuck, IN_MEMORY_CHECKPOINTS);

    await issueTokens(events, 1, randomUUID(), randomUUID());
    expect(await projections.waitForReads((await events.headPosition())!, 300)).toBe(false);

    release();
    await projections.stopAll();
    await generations.close();
  });
});
