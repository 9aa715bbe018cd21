import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accessTokenIssuanceDecider, issuanceStreamId, issuanceWindowOf, personalTokensDecider, serviceAccountDecider, streamName } from '@keyhold/domain';
import { CommandContext, EventStore, handleCommand, SqliteEventStore } from '@keyhold/event-store';
import { IN_MEMORY_CHECKPOINTS, Projection, ProjectionRunner } from '../projection/projection-runner';
import { SqliteReadModelStore } from '../sqlite/sqlite-read-model-store';
import { HISTORY, HistoryEntryView, historyProjection } from './history.view';

const silent = { error: () => undefined };
const [T0, T1, T2] = ['2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z', '2026-01-03T00:00:00.000Z'];
const TOKEN_HASH = 'token-hash-that-must-never-show';
const ACCOUNT_HASH = 'account-hash-that-must-never-show';

const runUntilCaughtUp = async (events: EventStore, projection: Projection) => {
  const runner = new ProjectionRunner(events, IN_MEMORY_CHECKPOINTS, projection, silent);
  await runner.start();
  expect(await runner.waitFor((await events.headPosition())!, 5000)).toBe(true);
  await runner.stop();
};

describe('history projection', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyhold-history-'));
  const events = new SqliteEventStore(join(dir, 'events.sqlite'));
  const readModels = new SqliteReadModelStore(join(dir, 'rm.sqlite'));
  const history = readModels.collection<HistoryEntryView>(HISTORY);
  const [tenantId, otherTenant, ownerId, tokenId, accountId] = [randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID()];
  const context = (now: string, actorId: string = ownerId, tenant: string = tenantId): CommandContext => ({ tenantId: tenant, actorId, correlationId: `corr-${now}`, causationId: `cause-${now}`, now });
  const all = async () => (await history.list({ where: {}, orderBy: 'position', direction: 'asc', limit: 100 })).items;

  beforeAll(async () => {
    const tokens = streamName('personalTokens', ownerId);
    const issue = { type: 'IssueToken', tenantId, ownerId, tokenId, label: 'laptop', scope: 'read', secretHash: TOKEN_HASH, hashKeyId: 'hk1', hint: 'kh_pat_…abcd', expiresAt: null, idempotency: null, now: T0 } as const;
    await handleCommand(events, tokens, personalTokensDecider, issue, context(T0));
    await handleCommand(events, tokens, personalTokensDecider, { type: 'RevokeToken', tokenId, revokedBy: 'admin-1', reason: 'left', now: T2 }, { ...context(T2, 'admin-1'), reason: 'left the company' });
    const secret = { secretHash: ACCOUNT_HASH, hashKeyId: 'hk1', hint: 'kh_cs_…wxyz' };
    await handleCommand(events, streamName('serviceAccount', accountId), serviceAccountDecider, { type: 'CreateServiceAccount', tenantId: otherTenant, accountId, name: 'ci', secret, sunsetAt: null, now: T1 }, context(T1, 'admin-2', otherTenant));
    const window = issuanceWindowOf(T1);
    const accessTokens = { type: 'RecordAccessTokenIssuance' as const, tenantId: otherTenant, clientId: accountId, clientKind: 'service_account' as const, clientGeneration: 0, ...window, tokenId: randomUUID(), scope: [], issuedAt: T1, expiresAt: T2 };
    await handleCommand(events, streamName('accessTokenIssuance', issuanceStreamId(accountId, 0, window.windowStart)), accessTokenIssuanceDecider, accessTokens, context(T1, accountId, otherTenant));
    await runUntilCaughtUp(events, historyProjection(readModels));
  });

  afterAll(async () => {
    await readModels.close();
    await events.close();
  });

  it('keeps one entry per event with a public form, with its metadata, subject and whitelisted data', async () => {
    const entries = await all();
    expect(entries.map((entry) => entry.type)).toEqual(['TokenIssued', 'TokenRevoked', 'ServiceAccountCreated', 'AccessTokensIssued']);
    const [issued, revoked] = entries;
    const [recorded] = await events.readStream(streamName('personalTokens', ownerId));
    expect(issued).toEqual({
      id: recorded.metadata.eventId,
      position: recorded.globalPosition,
      streamName: streamName('personalTokens', ownerId),
      streamRevision: 0,
      type: 'TokenIssued',
      schemaVersion: recorded.metadata.schemaVersion,
      tenantId,
      actorId: ownerId,
      correlationId: `corr-${T0}`,
      causationId: `cause-${T0}`,
      reason: null,
      occurredAt: T0,
      subjectKind: 'personal_api_token',
      subjectId: tokenId,
      data: { ownerId, scope: 'read', expiresAt: null },
    });
    expect(revoked).toMatchObject({ actorId: 'admin-1', reason: 'left the company', streamRevision: 1, subjectId: tokenId, occurredAt: T2 });
  });

  it('keeps no hash or key id, and shows access-token issuance by its public form only', async () => {
    const entries = await all();
    const stored = JSON.stringify(entries);
    for (const secret of [TOKEN_HASH, ACCOUNT_HASH, 'hk1']) expect(stored).not.toContain(secret);
    const issued = entries.find((entry) => entry.type === 'AccessTokensIssued');
    expect(issued).toMatchObject({ subjectKind: 'service_account', subjectId: accountId });
    expect(Object.keys(issued!.data).sort()).toEqual(['expiresAt', 'scope', 'tokenId', 'windowEnd', 'windowStart']);
  });

  it('answers the queries the API makes: by subject, actor, types and time range, per tenant', async () => {
    const ids = async (query: Partial<Parameters<typeof history.list>[0]>) =>
      (await history.list({ where: { tenantId }, orderBy: 'position', direction: 'asc', limit: 10, ...query })).items.map((entry) => entry.type);
    expect(await ids({ where: { tenantId, subjectKind: 'personal_api_token', subjectId: tokenId } })).toEqual(['TokenIssued', 'TokenRevoked']);
    expect(await ids({ where: { tenantId, actorId: 'admin-1' } })).toEqual(['TokenRevoked']);
    expect(await ids({ anyOf: { field: 'type', values: ['TokenRevoked', 'ServiceAccountCreated'] } })).toEqual(['TokenRevoked']);
    expect(await ids({ range: { field: 'occurredAt', from: T0, to: T2 } })).toEqual(['TokenIssued']);
    expect(await ids({ where: { tenantId: otherTenant } })).toEqual(['ServiceAccountCreated', 'AccessTokensIssued']);
  });

  it('changes nothing when every event is applied again (run twice, nothing changes)', async () => {
    const before = await all();
    const projection = historyProjection(readModels);
    for (const event of await events.readAll(null, 100)) await projection.apply(event);
    expect(await all()).toEqual(before);
  });
});
