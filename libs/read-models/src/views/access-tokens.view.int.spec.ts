import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accessTokenDecider, accessTokenIssuanceDecider, issuanceStreamId, issuanceWindowOf, streamName } from '@keyhold/domain';
import { CommandContext, handleCommand, SqliteEventStore } from '@keyhold/event-store';
import { SqliteReadModelStore } from '../sqlite/sqlite-read-model-store';
import { ACCESS_TOKEN_REVOCATIONS, ACCESS_TOKENS, AccessTokenRevocationView, accessTokensProjection, AccessTokenView } from './service-accounts.view';

const T0 = '2026-01-01T10:20:00.000Z';
const EXPIRY = '2026-01-01T11:20:00.000Z';

describe('access tokens projection (sealed tokens)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyhold-access-tokens-'));
  const events = new SqliteEventStore(join(dir, 'events.sqlite'));
  const readModels = new SqliteReadModelStore(join(dir, 'rm.sqlite'));
  const [tenantId, clientId, tokenId] = [randomUUID(), randomUUID(), randomUUID()];
  const context: CommandContext = { tenantId, actorId: clientId, correlationId: 'corr', causationId: 'cause', now: T0 };
  const window = issuanceWindowOf(T0);
  const issuanceId = issuanceStreamId(clientId, 2, window.windowStart);

  beforeAll(async () => {
    const record = { type: 'RecordAccessTokenIssuance' as const, tenantId, clientId, clientKind: 'service_account' as const, clientGeneration: 2, ...window, tokenId, scope: ['users:read' as const], issuedAt: T0, expiresAt: EXPIRY };
    await handleCommand(events, streamName('accessTokenIssuance', issuanceId), accessTokenIssuanceDecider, record, context);
    const revoke = { type: 'RevokeAccessToken' as const, tenantId, tokenId, clientId, expiresAt: EXPIRY, revokedBy: clientId, now: T0 };
    await handleCommand(events, streamName('accessToken', tokenId), accessTokenDecider, revoke, context);
    const projection = accessTokensProjection(readModels);
    for (const event of await events.readAll(null, 100)) await projection.apply(event);
  });

  afterAll(async () => {
    await readModels.close();
    await events.close();
  });

  it('lists the hour in which the client obtained tokens, until the last token of that hour can expire', async () => {
    expect(await readModels.collection<AccessTokenView>(ACCESS_TOKENS).get(issuanceId)).toMatchObject({
      id: issuanceId,
      tenantId,
      clientId,
      clientKind: 'service_account',
      scope: ['users:read'],
      clientGeneration: 2,
      status: 'active',
      issuedAt: T0,
      expiresAt: '2026-01-01T12:00:00.000Z',
    });
  });

  it('keeps a revoked sealed token until its expiry, for stale nodes to ask', async () => {
    expect(await readModels.collection<AccessTokenRevocationView>(ACCESS_TOKEN_REVOCATIONS).get(tokenId)).toMatchObject({ id: tokenId, tenantId, clientId, expiresAt: EXPIRY });
    expect(await readModels.collection<AccessTokenView>(ACCESS_TOKENS).get(tokenId)).toBeNull();
  });

  it('changes nothing when every event is applied again (run twice, nothing changes)', async () => {
    const read = async () => [await readModels.collection(ACCESS_TOKENS).get(issuanceId), await readModels.collection(ACCESS_TOKEN_REVOCATIONS).get(tokenId)];
    const before = await read();
    const projection = accessTokensProjection(readModels);
    for (const event of await events.readAll(null, 100)) await projection.apply(event);
    expect(await read()).toEqual(before);
  });
});
