import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Caller, OPERATOR, ROLE_PERMISSIONS, streamName, tenancyDecider, tenantIdForSlug } from '@keyhold/domain';
import { SecretHasher } from '@keyhold/crypto';
import { SqliteEventStore } from '@keyhold/event-store';
import { SqliteReadModelStore, TOKENS, TokenView, tokensProjection, USERS, UserView, usersProjection } from '@keyhold/read-models';
import { commandPipeline, RequestContext } from './command-pipeline';
import { IssuePersonalToken } from './personal-tokens/issue-token';
import { RevokePersonalToken } from './personal-tokens/revoke-token';
import { GetPersonalToken } from './personal-tokens/token-queries';
import { GetUser } from './users/tenancy';

/**
 * A single resource's ETag is the revision of the stream that holds it, and a sibling's change in
 * that stream moves it too. The read models keep it, so answering it reads no log: here the log
 * is closed before the reads. Real SQLite log and read models, the views' own projections.
 */
describe('ETags of resources that share a stream, from the read models', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyhold-etags-'));
  const tenantId = tenantIdForSlug('etags');
  const adminId = randomUUID();
  const contextOf = (caller: Caller): RequestContext => ({ actorId: adminId, correlationId: 'c', causationId: 'c', caller });
  const admin = contextOf({ kind: 'user', permissions: ROLE_PERMISSIONS.admin });
  const noUsage = { lastUsedAt: async () => new Map<string, string>() };
  let log: SqliteEventStore;
  let readModels: SqliteReadModelStore;
  let tokenIds: string[];
  let userId: string;

  /** The revision the log itself gives a stream: what the ETag must name. */
  const headOf = async (stream: string) => (await log.readStream(stream)).at(-1)!.streamRevision;

  beforeAll(async () => {
    log = new SqliteEventStore(join(dir, 'events.sqlite'));
    readModels = new SqliteReadModelStore(join(dir, 'read-models.sqlite'));
    const pipeline = commandPipeline(log);
    const now = new Date().toISOString();
    const tenant = streamName('tenant', tenantId);
    const operator = { ...contextOf(OPERATOR), tenantId, now };
    await pipeline.run(tenant, tenancyDecider, { type: 'CreateTenant', tenantId, slug: 'etags', name: 'ETags', firstAdmin: { userId: adminId, email: 'a@etags.test' }, now }, operator);
    userId = randomUUID();
    await pipeline.run(tenant, tenancyDecider, { type: 'AddUser', userId, email: 'b@etags.test', role: 'member', now }, operator);
    // The admin's role changes after the member was added: the member's ETag must move with it.
    await pipeline.run(tenant, tenancyDecider, { type: 'AddUser', userId: randomUUID(), email: 'c@etags.test', role: 'admin', now }, operator);
    await pipeline.run(tenant, tenancyDecider, { type: 'ChangeUserRole', userId: adminId, role: 'member', now }, operator);

    const issue = new IssuePersonalToken(pipeline, log, new SecretHasher({ id: 'k1', key: randomBytes(32) }));
    const issueOne = async (label: string) =>
      (await issue.execute({ tenantId, ownerId: adminId, label, scope: 'read', expiresAt: null, idempotencyKey: null, context: admin })).token.tokenId;
    tokenIds = [await issueOne('first'), await issueOne('second')];
    const revoke = new RevokePersonalToken(pipeline, { ownerOf: () => ({ tenantId, ownerId: adminId }) }, { confirmRevocation: async () => undefined });
    // The second token's ETag must move with its sibling's revocation.
    await revoke.execute({ tenantId, tokenId: tokenIds[0], reason: null, context: admin });

    const projections = [tokensProjection(readModels), usersProjection(readModels)];
    for (const event of await log.readAll(null, 1000)) for (const projection of projections) await projection.apply(event);
  });

  afterAll(() => readModels.close());

  it("answer the stream's revision, moved by a sibling's change, with the log closed", async () => {
    const expected = { tokens: await headOf(streamName('personalTokens', adminId)), users: await headOf(streamName('tenant', tenantId)) };
    expect(expected).toEqual({ tokens: 2, users: 4 });
    await log.close();
    const getToken = new GetPersonalToken(readModels, noUsage, log);
    const getUser = new GetUser(readModels, log);
    expect((await getToken.execute({ tenantId, tokenId: tokenIds[1], context: admin })).revision).toBe(expected.tokens);
    expect((await getUser.execute({ tenantId, userId })).revision).toBe(expected.users);
  });

  it('read the log for documents written before the views kept the revision', async () => {
    const reopened = new SqliteEventStore(join(dir, 'events.sqlite'));
    const older = async <Document extends TokenView | UserView>(collection: typeof TOKENS, id: string) => {
      const documents = readModels.collection<Document>(collection);
      const { streamRevision: _kept, ...document } = (await documents.get(id))!;
      await documents.putIfNewer(document as Document, '~');
    };
    const tokens = (await readModels.collection<TokenView>(TOKENS).list({ where: { ownerId: adminId }, orderBy: 'createdAt', direction: 'asc', limit: 10 })).items;
    for (const token of tokens) await older<TokenView>(TOKENS, token.id);
    const users = (await readModels.collection<UserView>(USERS).list({ where: { tenantId }, orderBy: 'createdAt', direction: 'asc', limit: 10 })).items;
    for (const user of users) await older<UserView>(USERS, user.id);
    try {
      expect((await new GetPersonalToken(readModels, noUsage, reopened).execute({ tenantId, tokenId: tokenIds[1], context: admin })).revision).toBe(2);
      expect((await new GetUser(readModels, reopened).execute({ tenantId, userId })).revision).toBe(4);
    } finally {
      await reopened.close();
    }
  });
});
