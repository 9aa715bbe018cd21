import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import pino from 'pino';
import { KafkaMessageBus, LIFECYCLE_HEADERS, LIFECYCLE_TOPIC, LifecycleMessage, ReceivedMessage } from '@keyhold/messaging';
import { KeyholdHarness } from '../support/keyhold-harness';
import { describeWithServer } from '../support/real-server';

const TEST_SERVERS = join(__dirname, '..', '..', 'scripts', 'test-servers.sh');
const kafka = (command: 'stop' | 'start') => execFileSync('bash', [TEST_SERVERS, command, 'kafka'], { stdio: 'ignore', timeout: 90_000 });

/** What the topic carried, deduplicated by event id as a consumer must, read per tenant. */
class TopicReader {
  private readonly byEventId = new Map<string, LifecycleMessage>();
  readonly raw: ReceivedMessage[] = [];

  handler = async (message: ReceivedMessage) => {
    this.raw.push(message);
    const parsed = JSON.parse(message.value) as LifecycleMessage;
    expect(message.headers[LIFECYCLE_HEADERS.eventId]).toBe(parsed.eventId);
    this.byEventId.set(parsed.eventId, parsed);
  };

  ofTenant(tenantId: string): LifecycleMessage[] {
    return [...this.byEventId.values()].filter((m) => m.tenantId === tenantId);
  }

  typesOf(tenantId: string): string[] {
    return this.ofTenant(tenantId).map((m) => m.eventType).sort();
  }

  async until(tenantId: string, count: number, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.ofTenant(tenantId).length < count) {
      if (Date.now() > deadline) throw new Error(`saw ${this.typesOf(tenantId).join(', ')} of ${count} events`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describeWithServer('KAFKA_BROKERS', 'Lifecycle events relayed to Kafka', (brokers) => {
  let keyhold: KeyholdHarness;
  let consumerBus: KafkaMessageBus;
  const reader = new TopicReader();

  beforeAll(async () => {
    keyhold = await KeyholdHarness.start(undefined, { MESSAGE_BUS: 'kafka', KAFKA_BROKERS: brokers });
    consumerBus = await KafkaMessageBus.connect({ brokers: brokers.split(','), clientId: 'relay-test', logger: pino({ level: 'silent' }) });
    await consumerBus.subscribe({ topic: LIFECYCLE_TOPIC, groupId: `relay-test-${randomUUID()}`, fromBeginning: true, onMessage: reader.handler });
  }, 60_000);
  afterAll(async () => {
    await consumerBus?.close();
    await keyhold?.stop();
  });

  it('publishes each lifecycle event, keyed by aggregate, with its event id and no secret', async () => {
    const admin = await keyhold.bootstrap(`relay-${randomUUID().slice(0, 8)}`);
    const issued = await keyhold.post('/v1/tokens', admin.token, { label: 'relayed', scope: 'read' });
    await keyhold.post(`/v1/tokens/${issued.body.id}/revoke`, admin.token, {});

    await reader.until(admin.tenantId, 5);
    // Order holds per key (aggregate), not across the tenant's and the owner's partitions.
    expect(reader.typesOf(admin.tenantId)).toEqual(['TenantCreated', 'TokenIssued', 'TokenIssued', 'TokenRevoked', 'UserAdded']);
    const revoked = reader.ofTenant(admin.tenantId).find((m) => m.eventType === 'TokenRevoked')!;
    expect(revoked).toMatchObject({
      schema: 'keyhold.lifecycle/1',
      tenantId: admin.tenantId,
      subject: { kind: 'personal_api_token', id: issued.body.id },
    });
    const ours = reader.raw.filter((m) => m.headers[LIFECYCLE_HEADERS.tenantId] === admin.tenantId);
    expect(ours.find((m) => m.headers[LIFECYCLE_HEADERS.eventType] === 'TokenRevoked')?.key).toBe(admin.userId);
    expect(ours.find((m) => m.headers[LIFECYCLE_HEADERS.eventType] === 'TenantCreated')?.key).toBe(admin.tenantId);

    const everything = ours.map((m) => m.value + JSON.stringify(m.headers)).join('\n');
    for (const secret of [admin.token, issued.body.token]) expect(everything).not.toContain(secret.slice(7, 50));
    expect(everything).not.toMatch(/secretHash|hashKeyId|idempotency/i);
  });

  it('keeps accepting commands while Kafka is down and relays everything once it is back', async () => {
    const admin = await keyhold.bootstrap(`outage-${randomUUID().slice(0, 8)}`);
    await reader.until(admin.tenantId, 3);

    kafka('stop');
    try {
      const during: string[] = [];
      for (let n = 0; n < 3; n += 1) {
        const issued = await keyhold.post('/v1/tokens', admin.token, { label: `during outage ${n}`, scope: 'read' });
        expect(issued.status).toBe(201);
        during.push(issued.body.id);
      }
      const revoked = await keyhold.post(`/v1/tokens/${during[0]}/revoke`, admin.token, {});
      expect(revoked.status).toBe(200);

      const unready = await keyhold.get('/health/ready', admin.token);
      expect(unready.status).toBe(503);
      expect(unready.body.checks.messageBus.status).toBe('down');
    } finally {
      kafka('start');
    }

    // TenantCreated, UserAdded, the bootstrap token, 3 tokens and a revocation: nothing lost.
    await reader.until(admin.tenantId, 7, 90_000);
    expect(reader.typesOf(admin.tenantId)).toEqual(
      ['TenantCreated', 'UserAdded', 'TokenIssued', 'TokenIssued', 'TokenIssued', 'TokenIssued', 'TokenRevoked'].sort(),
    );
    const ready = await keyhold.get('/health/ready', admin.token);
    expect(ready.body.projections.find((p: { name: string }) => p.name === 'lifecycle-relay').status).toBe('up');
  }, 180_000);
});
