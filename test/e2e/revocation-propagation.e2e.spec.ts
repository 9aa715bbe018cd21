import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { EventMetadata } from '@keyhold/domain';
import { KafkaMessageBus, LIFECYCLE_TOPIC, lifecycleMessageFor } from '@keyhold/messaging';
import { expectProblem, KeyholdHarness } from '../support/keyhold-harness';
import { describeWithServer } from '../support/real-server';
import { KeyholdProcess as Node, startNode, stopNode, waitFor } from '../support/keyhold-process';

const introspect = async (url: string, callerToken: string, token: string) => {
  const response = await fetch(`${url}/oauth/introspect`, {
    method: 'POST',
    headers: { authorization: `Bearer ${callerToken}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }).toString(),
  });
  return { status: response.status, body: (await response.json()) as { active?: boolean } };
};

describeWithServer('KAFKA_BROKERS', 'Revocation propagation across API nodes', (brokers) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'keyhold-propagation-'));
  const kafka = { MESSAGE_BUS: 'kafka', KAFKA_BROKERS: brokers, DATA_DIR: dataDir };
  const heartbeats = `keyhold.heartbeat.test-${randomUUID()}`;
  /** A heartbeat topic no relay publishes to: the nodes listening there go stale. */
  const silence = `keyhold.heartbeat.silent-${randomUUID()}`;
  const stale = { KEYHOLD_ROLES: 'api', HEARTBEAT_TOPIC: silence, REVOCATION_STALENESS_MS: '1000', LOG_LEVEL: 'info' };
  let confirming: KeyholdHarness;
  let refusing: KeyholdHarness;
  let worker: Node;
  let nodeA: Node;
  let nodeB: Node;
  let admin: { tenantId: string; token: string };

  const issue = async (label: string) => {
    const response = await fetch(`${nodeA.url}/v1/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ label, scope: 'read' }),
    });
    expect(response.status).toBe(201);
    return (await response.json()) as { id: string; token: string };
  };
  const revokeOnA = async (id: string) => {
    const response = await fetch(`${nodeA.url}/v1/tokens/${id}/revoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(response.status).toBe(200);
  };
  const activeOn = async (url: string, token: string) => (await introspect(url, admin.token, token)).body.active === true;
  /** The status `caller` gets for introspecting the admin's own token: 200 while it may, 401 once it is revoked. */
  const asCaller = async (url: string, caller: string) => (await introspect(url, caller, admin.token)).status;

  beforeAll(async () => {
    // The first node makes the data directory's hash key; the others share it, and the log.
    confirming = await KeyholdHarness.start(dataDir, { ...kafka, ...stale, STALE_VERIFICATION: 'read-model', NODE_ID: `confirming-${randomUUID()}` });
    admin = await confirming.bootstrap(`propagation-${randomUUID().slice(0, 8)}`);
    worker = await startNode({ ...kafka, KEYHOLD_ROLES: 'worker', HEARTBEAT_TOPIC: heartbeats });
    [nodeA, nodeB] = await Promise.all([
      startNode({ ...kafka, KEYHOLD_ROLES: 'api', HEARTBEAT_TOPIC: heartbeats, NODE_ID: `a-${randomUUID()}` }),
      startNode({ ...kafka, KEYHOLD_ROLES: 'api', HEARTBEAT_TOPIC: heartbeats, NODE_ID: `b-${randomUUID()}` }),
    ]);
    refusing = await KeyholdHarness.start(dataDir, { ...kafka, ...stale, STALE_VERIFICATION: 'refuse', NODE_ID: `refusing-${randomUUID()}` });
  }, 180_000);

  afterAll(async () => {
    await Promise.all([stopNode(nodeA), stopNode(nodeB), stopNode(worker)]);
    await Promise.all([confirming?.stop(), refusing?.stop()]);
  }, 60_000);

  it('a token revoked on node A is rejected on node B, and both nodes hear the relay', async () => {
    await waitFor('node B fresh', async () => {
      const response = await fetch(`${nodeB.url}/health/ready`, { headers: { authorization: `Bearer ${admin.token}` } });
      return ((await response.json()) as { revocationFeed?: { state: string } }).revocationFeed?.state === 'fresh';
    }, 30_000);
    const issued = await issue('propagated');
    await waitFor('the token to verify on node B', () => activeOn(nodeB.url, issued.token), 10_000);

    await revokeOnA(issued.id);
    await waitFor('node B to reject the revoked token', async () => !(await activeOn(nodeB.url, issued.token)), 5_000);
    expect(await activeOn(nodeA.url, issued.token)).toBe(false);
    // The caller's own token is untouched: only the revoked one is denied.
    expect(await activeOn(nodeB.url, admin.token)).toBe(true);
  }, 60_000);

  it('a caller revoked on node A is refused on node B as soon as B enforces the revocation, however often it called before', async () => {
    const caller = await issue('revoked caller');
    await waitFor('the caller to be accepted on node B', async () => (await asCaller(nodeB.url, caller.token)) === 200, 10_000);
    for (let call = 0; call < 5; call += 1) expect(await asCaller(nodeB.url, caller.token)).toBe(200);

    await revokeOnA(caller.id);
    await waitFor('node B to enforce the revocation', async () => !(await activeOn(nodeB.url, caller.token)), 5_000);
    // At once: nothing B remembers of the caller's earlier calls outlives the revocation.
    expect(await asCaller(nodeB.url, caller.token)).toBe(401);
  }, 60_000);

  it('a lifecycle message on Kafka alone makes node B reject the token, with no event in the log', async () => {
    const issued = await issue('denied by a message');
    await waitFor('the token to verify on node B', () => activeOn(nodeB.url, issued.token), 10_000);
    expect(await asCaller(nodeB.url, issued.token)).toBe(200);
    await waitFor('the token in the read model', async () => (await confirming.get(`/v1/tokens/${issued.id}`, admin.token)).body.status === 'active', 10_000);
    // A revocation that only Kafka carries, at a position the log has not reached: B cannot have it from the log.
    const message = lifecycleMessageFor({
      streamName: `apiToken-${randomUUID()}`,
      globalPosition: '9'.repeat(20),
      type: 'TokenRevoked',
      data: { tenantId: admin.tenantId, ownerId: 'test', tokenId: issued.id, revokedAt: new Date().toISOString(), revokedBy: 'test', reason: null },
      metadata: { eventId: randomUUID(), occurredAt: new Date().toISOString(), tenantId: admin.tenantId, actorId: 'test', correlationId: 'test', causationId: 'test' } as EventMetadata,
    })!;
    const publisher = await KafkaMessageBus.connect({ brokers: brokers.split(','), clientId: 'propagation-test', logger: pino({ level: 'silent' }) });
    try {
      await publisher.publish(LIFECYCLE_TOPIC, [message]);
    } finally {
      await publisher.close();
    }
    await waitFor('node B to reject the token', async () => !(await activeOn(nodeB.url, issued.token)), 5_000);
    // Nor may it call: the message alone refuses a caller B had accepted before it.
    expect(await asCaller(nodeB.url, issued.token)).toBe(401);
    // Only the message denies it: the log, and the read model built from it, still hold it active.
    expect((await confirming.get(`/v1/tokens/${issued.id}`, admin.token)).body.status).toBe('active');
  }, 60_000);

  it('a node that hears no heartbeat goes stale and confirms in the read model: valid accepted, revoked rejected', async () => {
    /**
     * The lifecycle topic is shared with every other run on this broker, and any message on it
     * counts as hearing the relay: an answer counts only when the node was stale before and after it.
     */
    const stateOf = async () => (await confirming.get('/health/ready', admin.token)).body.revocationFeed.state as string;
    const whileStale = <T>(what: string, probe: () => Promise<T>) =>
      waitFor(what, async () => {
        if ((await stateOf()) !== 'stale') return null;
        const answer = await probe();
        return (await stateOf()) === 'stale' ? { answer } : null;
      }, 20_000).then(({ answer }) => answer);

    const kept = await issue('kept');
    const revoked = await issue('to revoke');
    await waitFor('both tokens active in the read model', async () => (await activeOn(confirming.url, kept.token)) && (await activeOn(confirming.url, revoked.token)), 15_000);
    expect(await whileStale('a stale answer for the valid token', () => activeOn(confirming.url, kept.token))).toBe(true);

    await revokeOnA(revoked.id);
    await waitFor('the revocation in the read model', async () => !(await activeOn(confirming.url, revoked.token)), 10_000);
    expect(await whileStale('a stale answer for the revoked token', () => activeOn(confirming.url, revoked.token))).toBe(false);
    expect(await whileStale('a stale answer for the valid token', () => activeOn(confirming.url, kept.token))).toBe(true);
    // The bearer guard of the REST API goes through the same confirmation.
    expect(await whileStale('a stale REST call with the revoked token', async () => (await confirming.get('/v1/tokens', revoked.token)).status)).toBe(401);
    expect(await whileStale('a stale REST call with the valid token', async () => (await confirming.get('/v1/tokens', kept.token)).status)).toBe(200);

    // Each change of state is logged once: stale and fresh lines alternate.
    const changes = confirming.logs.filter((line) => /the credential index is (stale|fresh)/.test(line)).map((line) => (line.includes('is stale') ? 'stale' : 'fresh'));
    expect(changes[0]).toBe('stale');
    changes.forEach((change, n) => expect(change).toBe(n % 2 === 0 ? 'stale' : 'fresh'));
  }, 90_000);

  it('a stale node in refuse mode rejects every credential', async () => {
    // Readiness's detail needs a credential, which a stale refusing node refuses: the refusal of a
    // valid token is itself the sign that the node is stale (nodes that hear the relay accept it).
    const refused = await waitFor('a refusal while stale', async () => {
      const answer = await refusing.get('/v1/tokens', admin.token);
      return answer.status === 401 ? { answer } : null;
    }, 20_000);
    expectProblem(refused.answer, 401, 'unauthenticated');
    expect(await activeOn(nodeB.url, admin.token)).toBe(true);
  }, 30_000);
});
