import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NewTokens, streamName, UserGrantCommand, userGrantDecider } from '@keyhold/domain';
import { handleCommand, SqliteEventStore } from '@keyhold/event-store';
import { IN_MEMORY_CHECKPOINTS, ProjectionRunner } from '../projection/projection-runner';
import { SqliteReadModelStore } from '../sqlite/sqlite-read-model-store';
import { USER_ACCESS_TOKENS, userAccessTokensProjection, UserAccessTokenView } from './user-access-tokens.view';

const silent = { error: () => undefined };
const T0 = '2026-01-01T00:00:00.000Z';
const ids = { tenantId: 't1', userId: 'u1', clientId: 'c1', grantId: 'g1' };
const tokens = (n: number): NewTokens => ({ familyId: `f${n}`, accessTokenId: `a${n}`, accessTokenHash: { hash: `HASH-${n}`, hashKeyId: 'k' }, accessTokenLifetimeMs: 15 * 60_000, refresh: null });

describe("People's access tokens in the read model", () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyhold-user-tokens-'));
  const events = new SqliteEventStore(join(dir, 'events.sqlite'));
  const readModels = new SqliteReadModelStore(join(dir, 'rm.sqlite'));
  const view = readModels.collection<UserAccessTokenView>(USER_ACCESS_TOKENS);
  const run = (command: UserGrantCommand) => handleCommand(events, streamName('userGrant', 'g1'), userGrantDecider, command, { ...ids, actorId: 'u1', correlationId: 'c', causationId: 'c', now: T0 });

  const catchUp = async () => {
    const runner = new ProjectionRunner(events, IN_MEMORY_CHECKPOINTS, userAccessTokensProjection(readModels), silent);
    await runner.start();
    expect(await runner.waitFor((await events.headPosition())!, 5000)).toBe(true);
    await runner.stop();
  };

  it('keeps each token active until its grant revokes it, without its hash; replaying changes nothing', async () => {
    await run({ type: 'GrantConsent', ...ids, scope: ['tokens:read'], now: T0 });
    await run({ type: 'IssueTokensForPassword', ...ids, scope: ['tokens:read'], tokens: tokens(1), now: T0 });
    await run({ type: 'IssueTokensForPassword', ...ids, scope: ['tokens:read'], tokens: tokens(2), now: T0 });
    await catchUp();
    expect((await view.get('a1'))).toMatchObject({ status: 'active', tenantId: 't1', userId: 'u1', clientId: 'c1' });
    expect(JSON.stringify(await view.get('a1'))).not.toContain('HASH');

    await run({ type: 'WithdrawConsent', tenantId: 't1', now: T0 });
    await catchUp();
    expect((await view.get('a1'))?.status).toBe('revoked');
    expect((await view.get('a2'))?.status).toBe('revoked');
    const before = await view.get('a2');
    await catchUp();
    expect(await view.get('a2')).toEqual(before);
  });
});
