import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { GlobalPosition, SqliteEventStore } from '@keyhold/event-store';
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
    await projections.runInBackground([relay], IN_MEMORY_CHECKPOINTS);

    await issueTokens(events, 2, randomUUID(), randomUUID());
    const head = (await events.headPosition())!;
    expect(await projections.waitForReads(head, 5_000)).toBe(true);
    expect(applied).toHaveLength(2);
    expect(projections.statuses().find((status) => status.name === 'relay')?.position).not.toBe(head);

    release();
    await projections.stopAll();
    await generations.close();
  });

  it('catches the background projections (the relay, the key shredder) up on one reading of the log, then keeps them live', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyhold-projections-'));
    const log = new SqliteEventStore(join(dir, 'events.sqlite'));
    await issueTokens(log, 600, randomUUID(), randomUUID());
    const logLength = (await log.readAll(null, 10_000)).length;
    // The real log, counting the events its reads decode: a restored log's relay and shredder read the whole of it.
    const decoded = { events: 0 };
    const events = new Proxy(log, {
      get: (target, property, receiver) =>
        property === 'readAll'
          ? async (after: GlobalPosition | null, limit: number) => {
              const page = await target.readAll(after, limit);
              decoded.events += page.length;
              return page;
            }
          : Reflect.get(target, property, receiver),
    });
    const generations = await ReadModelGenerations.open(new SqliteReadModelStore(join(dir, 'rm.sqlite')), { refreshMs: 60_000 });
    const projections = new ProjectionsService(events, pino({ level: 'silent' }), generations);
    const relayed: string[] = [];
    const shredded: string[] = [];
    const relay: Projection = { name: 'relay', apply: (event) => void relayed.push(event.globalPosition) };
    const shredder: Projection = { name: 'shredder', apply: (event) => void shredded.push(event.globalPosition) };

    await projections.runInBackground([relay, shredder], IN_MEMORY_CHECKPOINTS);
    const atHead = async () => projections.statuses().every((status) => status.position === head);
    let head = (await log.headPosition())!;
    while (!(await atHead())) await new Promise((resolve) => setTimeout(resolve, 20));

    expect(decoded.events).toBe(logLength);
    await issueTokens(log, 1, randomUUID(), randomUUID());
    head = (await log.headPosition())!;
    while (!(await atHead())) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(relayed).toEqual(shredded);
    expect(relayed).toHaveLength(logLength + 1);
    expect(new Set(relayed).size).toBe(logLength + 1);

    await projections.stopAll();
    await generations.close();
  }, 30_000);

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
