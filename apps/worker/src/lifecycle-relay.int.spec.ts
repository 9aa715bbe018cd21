import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { personalTokensDecider, streamName } from '@keyhold/domain';
import { handleCommand, SqliteEventStore } from '@keyhold/event-store';
import { BusMessage, InProcessMessageBus, LIFECYCLE_TOPIC, LifecycleMessage, lifecycleMessageFor, MessageBus } from '@keyhold/messaging';
import { FileBackgroundCheckpoints, KeyholdConfig } from '@keyhold/platform';
import { IN_MEMORY_CHECKPOINTS, ProjectionRunner } from '@keyhold/read-models';
import { issueTokens } from '../../../libs/read-models/src/testing/personal-token-events';
import { LifecycleRelay } from './lifecycle-relay';

const silent = { error: () => undefined };
/** What the serving node gives its background projections; a share, so that the runner pages and rests. */
const CATCH_UP_THREAD_SHARE = 0.25;

/** A log longer than a page (500 events), with a revocation in its last page. */
const aLogOfManyPages = async () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyhold-relay-'));
  const log = new SqliteEventStore(join(dir, 'events.sqlite'));
  const tenantId = randomUUID();
  // An owner holds at most 100 active tokens.
  const owners = Array.from({ length: 12 }, () => randomUUID());
  const ids: string[] = [];
  for (const owner of owners) ids.push(...(await issueTokens(log, 100, owner, tenantId)));
  const now = new Date().toISOString();
  await handleCommand(log, streamName('personalTokens', owners[0]), personalTokensDecider, { type: 'RevokeToken', tokenId: ids[0], revokedBy: owners[0], reason: null, now }, {
    tenantId,
    actorId: owners[0],
    correlationId: 'c',
    causationId: 'c',
    now,
  });
  const expected = (await log.readAll(null, 10_000)).filter((event) => lifecycleMessageFor(event) !== null).map((event) => event.globalPosition);
  return { dir, log, expected };
};

/** Every message the topic carried, in the order a consumer got them. */
const listen = async (bus: MessageBus) => {
  const received: LifecycleMessage[] = [];
  await bus.subscribe({ topic: LIFECYCLE_TOPIC, groupId: 'test', fromBeginning: true, onMessage: async (message) => void received.push(JSON.parse(message.value)) });
  return received;
};

const relayOn = (bus: MessageBus) => new LifecycleRelay(bus, { HEARTBEAT_TOPIC: 'keyhold.heartbeat.test' } as KeyholdConfig, pino({ level: 'silent' }));

const until = async (done: () => boolean) => {
  while (!done()) await new Promise((resolve) => setTimeout(resolve, 20));
};

describe('The lifecycle relay without a checkpoint (a restored log, a lost checkpoint file)', () => {
  it('publishes every lifecycle event of the log once, in log order, while held to a share of the thread', async () => {
    const { dir, log, expected } = await aLogOfManyPages();
    expect(expected.length).toBeGreaterThan(1000);
    const bus = new InProcessMessageBus();
    const received = await listen(bus);
    const checkpoints = new FileBackgroundCheckpoints(join(dir, 'background-checkpoints.sqlite'), IN_MEMORY_CHECKPOINTS);
    const runner = new ProjectionRunner(log, checkpoints, relayOn(bus), silent, { catchUpThreadShare: CATCH_UP_THREAD_SHARE });
    await runner.start();

    expect(await runner.waitFor(expected.at(-1)!, 20_000)).toBe(true);
    await until(() => received.length >= expected.length);
    expect(received.map((message) => message.position)).toEqual(expected);
    expect(received.at(-1)?.eventType).toBe('TokenRevoked');
    await runner.stop();
    expect(await checkpoints.getCheckpoint('lifecycle-relay')).toBe(expected.at(-1));
    await checkpoints.close();
    await log.close();
  });

  it('publishes a page again after a publish that failed half way: at least once, in order, nothing skipped', async () => {
    const { log, expected } = await aLogOfManyPages();
    const bus = new InProcessMessageBus();
    const received = await listen(bus);
    let publishes = 0;
    // The second page reaches the topic and then fails, as a Kafka send that timed out after the broker took it.
    const flaky: MessageBus = Object.assign(Object.create(bus) as MessageBus, {
      publish: async (topic: string, messages: readonly BusMessage[]) => {
        await bus.publish(topic, messages);
        if (topic === LIFECYCLE_TOPIC && ++publishes === 2) throw new Error('request timed out');
      },
    });
    const runner = new ProjectionRunner(log, IN_MEMORY_CHECKPOINTS, relayOn(flaky), silent, { catchUpThreadShare: CATCH_UP_THREAD_SHARE });
    await runner.start();

    expect(await runner.waitFor(expected.at(-1)!, 20_000)).toBe(true);
    await until(() => new Set(received.map((message) => message.position)).size >= expected.length);
    const positions = received.map((message) => message.position);
    expect(positions.length).toBeGreaterThan(expected.length);
    expect([...new Set(positions)]).toEqual(expected);
    // The repeat is the failed page whole, from its first event: the log's order resumes where it broke off.
    const repeatAt = positions.findIndex((position, n) => n > 0 && position <= positions[n - 1]);
    expect(positions.slice(repeatAt)).toEqual(expected.slice(expected.indexOf(positions[repeatAt])));
    await runner.stop();
    await log.close();
  });
});
