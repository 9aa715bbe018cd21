import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROLE_PERMISSIONS, SERVICE_ACCOUNT_EVENTS, serviceAccountDecider, streamName } from '@keyhold/domain';
import { SecretHasher } from '@keyhold/crypto';
import { GlobalPosition, SqliteEventStore } from '@keyhold/event-store';
import { CommandPipeline, commandPipeline, RequestContext } from '../command-pipeline';
import { readState } from '../read-state';
import { ChangeServiceAccount, RegisterCommandSigningKey } from './change-service-account';
import { CreateServiceAccount } from './create-service-account';
import { ResetServiceAccountSecret } from './reset-service-account-secret';

/** The service-account use cases with no Nest module: a real SQLite log, the plain pipeline, the real hasher. */
describe('service account use cases, constructed by hand', () => {
  let store: SqliteEventStore;
  let pipeline: CommandPipeline;
  let hasher: SecretHasher;
  const tenantId = randomUUID();
  const admin: RequestContext = { actorId: 'admin-1', correlationId: 'c', causationId: 'c', caller: { kind: 'user', permissions: ROLE_PERMISSIONS.admin } };
  const confirmed: Array<GlobalPosition | null> = [];
  let create: CreateServiceAccount;
  let change: ChangeServiceAccount;

  beforeAll(() => {
    store = new SqliteEventStore(join(mkdtempSync(join(tmpdir(), 'keyhold-app-')), 'events.sqlite'));
    pipeline = commandPipeline(store);
    hasher = new SecretHasher({ id: 'k1', key: randomBytes(32) });
    create = new CreateServiceAccount(pipeline, hasher, {});
    change = new ChangeServiceAccount(pipeline, { confirmRevocation: async (position) => void confirmed.push(position) });
  });
  afterAll(() => store.close());

  const accountOf = async (accountId: string) => readState(store, streamName('serviceAccount', accountId), serviceAccountDecider, SERVICE_ACCOUNT_EVENTS);

  it('creates an account with its secret shown once, its sunset as the domain compares instants', async () => {
    const created = await create.execute({ tenantId, name: 'export', sunsetAt: '2999-01-01T00:00:00Z', context: admin });
    expect(created).toMatchObject({ clientSecret: expect.stringMatching(/^kh_cs_/), sunsetAt: '2999-01-01T00:00:00.000Z' });
    expect((await accountOf(created.accountId)).state).toMatchObject({ status: 'active', sunsetAt: '2999-01-01T00:00:00.000Z', permissions: [] });
    expect(JSON.stringify(await store.readStream(streamName('serviceAccount', created.accountId)))).not.toContain(created.clientSecret);
  });

  it('refuses new accounts from the service-wide cut-off on', async () => {
    const closed = new CreateServiceAccount(pipeline, hasher, { SERVICE_ACCOUNT_CREATION_CUTOFF: '2024-10-01T00:00:00Z' });
    await expect(closed.execute({ tenantId, name: 'too late', sunsetAt: null, context: admin })).rejects.toMatchObject({
      failure: { kind: 'rejected', rejection: { code: 'LegacyAccountsClosed', message: expect.stringContaining('2024-10-01T00:00:00.000Z') } },
    });
  });

  it('changes an account at the revision the caller saw, and refuses a stale one without writing', async () => {
    const { accountId } = await create.execute({ tenantId, name: 'conditional', sunsetAt: null, context: admin });
    const { revision } = await accountOf(accountId);
    const target = { tenantId, accountId, context: admin };
    await change.execute({ ...target, change: { type: 'GrantServiceAccountPermission', permission: 'tokens:read' }, expectedRevision: revision! });
    const stale = { ...target, expectedRevision: revision! };
    await expect(change.execute({ ...stale, change: { type: 'JoinProject', projectId: 'bridge-42' } })).rejects.toMatchObject({ failure: { kind: 'stale-revision' } });
    await expect(new ResetServiceAccountSecret(pipeline, hasher).execute(stale)).rejects.toMatchObject({ failure: { kind: 'stale-revision' } });
    const after = await accountOf(accountId);
    expect(after.revision).toBe(revision! + 1);
    expect(after.state).toMatchObject({ permissions: ['tokens:read'], projects: [], secretGeneration: 0 });
  });

  it('names a command-signing key by its RFC 7638 thumbprint (RFC 8037 A.3)', async () => {
    const { accountId } = await create.execute({ tenantId, name: 'signer', sunsetAt: null, context: admin });
    const publicKey = { kty: 'OKP' as const, crv: 'Ed25519' as const, x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' };
    const registered = await new RegisterCommandSigningKey(pipeline).execute({ tenantId, accountId, publicKey, context: admin });
    expect(registered).toEqual({ thumbprint: 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k', publicKey });
    expect((await accountOf(accountId)).state).toMatchObject({ commandSigningKey: registered });
  });

  it('answers a deletion only once this node enforces it', async () => {
    const { accountId } = await create.execute({ tenantId, name: 'doomed', sunsetAt: null, context: admin });
    const before = confirmed.length;
    await change.execute({ tenantId, accountId, change: { type: 'ChangeServiceAccountSunset', sunsetAt: '2999-06-01T00:00:00+02:00' }, context: admin });
    expect(confirmed).toHaveLength(before);
    expect((await accountOf(accountId)).state).toMatchObject({ sunsetAt: '2999-05-31T22:00:00.000Z' });
    await change.execute({ tenantId, accountId, change: { type: 'DeleteServiceAccount' }, context: admin });
    expect(confirmed).toHaveLength(before + 1);
    expect((await accountOf(accountId)).state.status).toBe('deleted');
  });
});
