import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { OPERATOR, ROLE_PERMISSIONS, streamName, TENANCY_EVENTS, tenancyDecider } from '@keyhold/domain';
import { SecretHasher } from '@keyhold/crypto';
import { SqliteEventStore } from '@keyhold/event-store';
import { ApplicationError, ApplicationFailure } from '../application-error';
import { commandPipeline, RequestContext } from '../command-pipeline';
import { IssuePersonalToken } from '../personal-tokens/issue-token';
import { readState } from '../read-state';
import { SignIn } from '../sign-in/sign-in';
import { Invitations, IssueInvitation } from './invitations';
import { PasswordAttempts } from './password-attempts';
import { ConfirmUserPassword } from './passwords';
import { AddUser, ChangeUserRole, CreateTenant } from './tenancy';

/** Users, invitations, passwords and sign-in as plain classes over a real SQLite log: no Nest module. */
describe('user use cases, constructed by hand', () => {
  let store: SqliteEventStore;
  const operator: RequestContext = { actorId: 'system:test', correlationId: 'c', causationId: 'c', caller: OPERATOR };
  /** The tenant and member the first test makes, whose role the second changes. */
  const made = { tenantId: '', memberId: '' };

  beforeAll(() => {
    store = new SqliteEventStore(join(mkdtempSync(join(tmpdir(), 'keyhold-users-')), 'events.sqlite'));
  });
  afterAll(() => store.close());

  const failureOf = async (promise: Promise<unknown>): Promise<ApplicationFailure> => {
    const error = await promise.then(() => null, (caught: unknown) => caught);
    if (!(error instanceof ApplicationError)) throw error ?? new Error('expected the use case to fail');
    return error.failure;
  };

  // scrypt runs six times here: slow on a shared machine, hence the time allowed.
  it('bootstraps a tenant, invites a user who sets a password by the link, then signs in; a wrong password is refused and throttled', async () => {
    const pipeline = commandPipeline(store);
    const hasher = new SecretHasher({ id: 'k1', key: randomBytes(32) });
    const issueInvitation = new IssueInvitation(pipeline, store, hasher);
    const attempts = new PasswordAttempts();
    const created = await new CreateTenant(pipeline, new IssuePersonalToken(pipeline, store, hasher)).execute({ slug: 'by-hand', name: 'By hand', adminEmail: 'root@by-hand.test', context: operator });
    expect(created.initialToken.secret).toMatch(/^kh_pat_/);
    const admin: RequestContext = { ...operator, actorId: created.userId, caller: { kind: 'user', permissions: ROLE_PERMISSIONS.admin } };

    const added = await new AddUser(pipeline, issueInvitation).execute({ tenantId: created.tenantId, email: 'ivy@by-hand.test', role: 'member', context: admin });
    Object.assign(made, { tenantId: created.tenantId, memberId: added.userId });
    const invitations = new Invitations(pipeline, store, hasher);
    await invitations.accept(added.userId, added.invitation.code, 'a long enough password', operator);
    expect(await failureOf(invitations.open(added.userId, added.invitation.code, new Date().toISOString()))).toMatchObject({ kind: 'rejected', rejection: { code: 'InvitationNotFound' } });

    const signIn = new SignIn(store, attempts, pino({ enabled: false }));
    expect(await signIn.check({ organisation: 'by-hand', email: 'ivy@by-hand.test', password: 'a long enough password' }, operator)).toEqual({ tenantId: created.tenantId, userId: added.userId });
    expect(await failureOf(signIn.check({ organisation: 'by-hand', email: 'ivy@by-hand.test', password: 'not it' }, operator))).toMatchObject({ kind: 'rejected', rejection: { code: 'SignInFailed' } });

    const ivy = { tenantId: created.tenantId, actor: { kind: 'user', id: added.userId }, credential: { kind: 'personalApiToken' }, scope: 'read_write' };
    const confirm = new ConfirmUserPassword(store, attempts);
    await confirm.execute({ holder: ivy, password: 'a long enough password' });
    expect(await failureOf(confirm.execute({ holder: ivy, password: 'wrong' }))).toMatchObject({ kind: 'rejected', rejection: { code: 'PasswordIncorrect' } });
    // Four more attempts use up the budget (PasswordAttempts' own spec times its window) without four more scrypt checks.
    for (let n = 0; n < 4; n += 1) attempts.begin(added.userId);
    expect(await failureOf(confirm.execute({ holder: ivy, password: 'a long enough password' }))).toMatchObject({ kind: 'rate-limited', retryAfterSeconds: expect.any(Number) });
  }, 120_000);

  it('changes a role at the revision the caller read, and refuses a stale one', async () => {
    const { tenantId, memberId: userId } = made;
    const { revision } = await readState(store, streamName('tenant', tenantId), tenancyDecider, TENANCY_EVENTS);
    const changeRole = new ChangeUserRole(commandPipeline(store));
    expect(await failureOf(changeRole.execute({ tenantId, userId, role: 'admin', context: operator, expectedRevision: revision! - 1 }))).toMatchObject({ kind: 'stale-revision' });
    expect(await changeRole.execute({ tenantId, userId, role: 'admin', context: operator, expectedRevision: revision! })).toEqual({ userId, role: 'admin' });
    expect((await readState(store, streamName('tenant', tenantId), tenancyDecider, TENANCY_EVENTS)).revision).toBe(revision! + 1);
  });
});
