import { Writable } from 'node:stream';
import pino from 'pino';
import { InProcessMessageBus, LIFECYCLE_TOPIC, lifecycleMessageFor, relayHeartbeatMessage } from '@keyhold/messaging';
import { EventMetadata } from '@keyhold/domain';
import { KeyholdMetrics, loadConfig } from '@keyhold/platform';
import { EarlyDenials } from './early-denials';
import { RevocationFeed } from './revocation-feed';

const BOUND_MS = 1000;

const revocation = lifecycleMessageFor({
  streamName: 'apiToken-user-1',
  globalPosition: '00000000000000000007',
  type: 'TokenRevoked',
  data: { tenantId: 't', ownerId: 'user-1', tokenId: 'token-1', revokedAt: 'now', revokedBy: 'user-1', reason: null },
  metadata: { eventId: 'e-7', occurredAt: 'now', tenantId: 't', actorId: 'user-1', correlationId: 'c', causationId: 'c' } as EventMetadata,
})!;

/** A feed on the embedded in-process bus, with its log lines kept. */
const feedOnInProcessBus = async () => {
  const bus = new InProcessMessageBus();
  const logs: string[] = [];
  const logger = pino({ level: 'debug' }, new Writable({ write: (chunk, _encoding, done) => (logs.push(String(chunk)), done()) }));
  const config = loadConfig({ REVOCATION_STALENESS_MS: String(BOUND_MS), NODE_ID: 'node-1' });
  const denials = new EarlyDenials();
  const feed = new RevocationFeed(bus, config, logger, denials, new KeyholdMetrics());
  await feed.onModuleInit();
  const until = async (condition: () => boolean) => {
    for (let n = 0; n < 100 && !condition(); n += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(condition()).toBe(true);
  };
  return { bus, logs, config, denials, feed, until };
};

describe('RevocationFeed', () => {
  it('joins in a group of its own, named after the node', async () => {
    const { feed, bus } = await feedOnInProcessBus();
    expect(feed.groupId).toBe('keyhold-node-node-1');
    await feed.onModuleDestroy();
    await bus.close();
  });

  it('denies what a lifecycle message revokes, on the embedded bus too', async () => {
    const { bus, denials, feed, until } = await feedOnInProcessBus();
    await bus.publish(LIFECYCLE_TOPIC, [revocation]);
    await until(() => denials.size === 1);
    await feed.onModuleDestroy();
    await bus.close();
  });

  it('goes stale past the bound without news, fresh again at the next heartbeat, logging each change once', async () => {
    const { bus, config, logs, feed, until } = await feedOnInProcessBus();
    const later = Date.now() + BOUND_MS + 1;
    expect(feed.freshness().state).toBe('fresh');
    expect(feed.isStale(later)).toBe(true);
    expect(feed.isStale(later + 10)).toBe(true);

    // Heard 20 ms after start, the heartbeat moves the bound: `later` is within it again.
    await new Promise((resolve) => setTimeout(resolve, 20));
    await bus.publish(config.HEARTBEAT_TOPIC, [relayHeartbeatMessage('00000000000000000007', new Date().toISOString())]);
    await until(() => !feed.isStale(later));
    expect(logs.filter((line) => line.includes('credential index is stale'))).toHaveLength(1);
    expect(logs.filter((line) => line.includes('credential index is fresh'))).toHaveLength(1);
    await feed.onModuleDestroy();
    await bus.close();
  });
});
