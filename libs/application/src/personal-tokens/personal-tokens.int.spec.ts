import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Caller, OPERATOR, PERSONAL_TOKEN_EVENTS, personalTokensDecider, ROLE_PERMISSIONS, streamName, tenancyDecider, tenantIdForSlug } from '@keyhold/domain';
import { SecretHasher } from '@keyhold/crypto';
import { GlobalPosition, SqliteEventStore } from '@keyhold/event-store';
import { ApplicationError, ApplicationFailure } from '../application-error';
import { commandPipeline, RequestContext } from '../command-pipeline';
import { readState } from '../read-state';
import { IssuePersonalToken } from './issue-token';
import { RevokePersonalToken, TokenOwners } from './revoke-token';

/**
 * The personal-token use cases with no Nest module: a real SQLite log, the plain pipeline, the
 * real hasher, and the two verification-side ports as the few lines a script would write.
 */
describe('personal token use cases, constructed by hand', () => {
  let store: SqliteEventStore;
  const tenantId = tenantIdForSlug('by-hand');
  const adminId = randomUUID();
  const contextOf = (caller: Caller): RequestContext => ({ actorId: adminId, correlationId: 'c', causationId: 'c', caller });
  const admin = contextOf({ kind: 'user', permissions: ROLE_PERMISSIONS.admin });
  const confirmed: Array<GlobalPosition | null> = [];
  let issue: IssuePersonalToken;
  let revoke: RevokePersonalToken;

  beforeAll(async () => {
    store = new SqliteEventStore(join(mkdtempSync(join(tmpdir(), 'keyhold-app-')), 'events.sqlite'));
    const pipeline = commandPipeline(store);
    const now = new Date().toISOString();
    await pipeline.run(streamName('tenant', tenantId), tenancyDecider, { type: 'CreateTenant', tenantId, slug: 'by-hand', name: 'By hand', firstAdmin: { userId: adminId, email: 'a@by-hand.test' }, now }, { ...contextOf(OPERATOR), tenantId, now });
    const owners: TokenOwners = { ownerOf: () => ({ tenantId, ownerId: adminId }) };
    issue = new IssuePersonalToken(pipeline, store, new SecretHasher({ id: 'k1', key: randomBytes(32) }));
    revoke = new RevokePersonalToken(pipeline, owners, { confirmRevocation: async (position) => void confirmed.push(position) });
  });
  afterAll(() => store.close());

  const failureOf = (promise: Promise<unknown>): Promise<ApplicationFailure> =>
    promise.then(
      () => {
        throw new Error('expected the use case to fail');
      },
      (error: unknown) => {
        if (!(error instanceof ApplicationError)) throw error;
        return error.failure;
      },
    );

  const issueInput = (label: string, caller = admin) => ({ tenantId, ownerId: adminId, label, scope: 'read_write' as const, expiresAt: null, idempotencyKey: null, context: caller });

  it('issues a token into the log, its secret shown once, its hash stored', async () => {
    const issued = await issue.execute(issueInput('by hand'));
    expect(issued.secret).toMatch(/^kh_pat_/);
    const { state, revision } = await readState(store, streamName('personalTokens', adminId), personalTokensDecider, PERSONAL_TOKEN_EVENTS);
    expect(revision).toBe(0);
    expect(state.tokens.get(issued.token.tokenId)).toMatchObject({ status: 'active', label: 'by hand' });
    expect(JSON.stringify(await store.readStream(streamName('personalTokens', adminId)))).not.toContain(issued.secret);
  });

  it('refuses a token wider than the credential asking, as forbidden, and writes nothing', async () => {
    const { revision } = await readState(store, streamName('personalTokens', adminId), personalTokensDecider, PERSONAL_TOKEN_EVENTS);
    const narrow = contextOf({ kind: 'user', permissions: new Set(['tokens:read', 'tokens:write']) });
    expect(await failureOf(issue.execute(issueInput('wider', narrow)))).toMatchObject({ kind: 'forbidden', message: expect.stringContaining("'users:write'") });
    expect((await readState(store, streamName('personalTokens', adminId), personalTokensDecider, PERSONAL_TOKEN_EVENTS)).revision).toBe(revision);
  });

  it('revokes at the revision the caller saw, and refuses a stale one without writing', async () => {
    const first = await issue.execute(issueInput('first'));
    const second = await issue.execute(issueInput('second'));
    const { revision } = await readState(store, streamName('personalTokens', adminId), personalTokensDecider, PERSONAL_TOKEN_EVENTS);
    expect(await failureOf(revoke.execute({ tenantId, tokenId: first.token.tokenId, reason: null, context: admin, expectedRevision: revision! - 1 }))).toMatchObject({ kind: 'stale-revision' });

    const revoked = await revoke.execute({ tenantId, tokenId: first.token.tokenId, reason: 'done', context: admin, expectedRevision: revision! });
    expect(revoked.token.status).toBe('revoked');
    expect(confirmed.at(-1)).not.toBeNull();
    const after = await readState(store, streamName('personalTokens', adminId), personalTokensDecider, PERSONAL_TOKEN_EVENTS);
    expect(after.revision).toBe(revision! + 1);
    expect(after.state.tokens.get(second.token.tokenId)?.status).toBe('active');
  });

  it('reports a domain refusal with its code', async () => {
    expect(await failureOf(revoke.execute({ tenantId, tokenId: randomUUID(), reason: null, context: admin }))).toMatchObject({ kind: 'rejected', rejection: { code: 'TokenNotFound' } });
  });
});
