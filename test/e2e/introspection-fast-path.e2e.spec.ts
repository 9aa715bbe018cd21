import { CredentialIndexService } from '../../apps/api/src/verification/credential-index.service';
import { HttpResult, KeyholdHarness } from '../support/keyhold-harness';
import { serviceAccountWith } from '../support/principals';

const sample = (text: string, name: string, labels: Record<string, string>): number => {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name}{`) && wanted.every((pair) => candidate.includes(pair)));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
};

/**
 * POST /oauth/introspect is answered by a Fastify hook when the request certainly succeeds, and
 * by the Nest controller otherwise. A hint of 33 emoji is 66 UTF-16 units (the fast path's
 * length) but 33 characters (the DTO's MaxLength(64)): a valid request that only the
 * controller answers, so the two can be compared on the same question.
 */
const VIA_CONTROLLER = { token_type_hint: '🔑'.repeat(33) };

describe('Introspection: the fast path answers as the controller does', () => {
  let keyhold: KeyholdHarness;
  let admin: { tenantId: string; userId: string; token: string };
  let other: { tenantId: string; userId: string; token: string };

  beforeAll(async () => {
    keyhold = await KeyholdHarness.start();
    admin = await keyhold.bootstrap('fastpath');
    other = await keyhold.bootstrap('elsewhere');
  });
  afterAll(async () => {
    await keyhold.stop();
  });

  const introspect = (caller: string, form: Record<string, string>) => keyhold.request('POST', '/oauth/introspect', { token: caller, form });
  const verifications = async () => (await keyhold.get('/metrics', admin.token)).text;
  const counted = (before: string, after: string, kind: string, outcome: string) =>
    sample(after, 'keyhold_verifications_total', { kind, outcome }) - sample(before, 'keyhold_verifications_total', { kind, outcome });
  const shape = (result: HttpResult) => ({
    status: result.status,
    body: result.body,
    cacheControl: result.headers.get('cache-control'),
    contentType: result.headers.get('content-type'),
  });

  it('gives the same status, headers and body either way, for active, foreign and unknown tokens', async () => {
    const unknown = `${admin.token.slice(0, -6)}AAAAAA`;
    for (const token of [admin.token, other.token, unknown]) {
      const fast = await introspect(admin.token, { token });
      const slow = await introspect(admin.token, { token, ...VIA_CONTROLLER });
      expect(shape(fast)).toEqual(shape(slow));
      expect(fast.status).toBe(200);
      expect(fast.headers.get('cache-control')).toBe('no-store');
    }
    expect((await introspect(admin.token, { token: admin.token })).body).toMatchObject({ active: true, sub: admin.userId, tenant_id: admin.tenantId });
    expect((await introspect(admin.token, { token: other.token })).body).toEqual({ active: false });
  });

  it('describes a service account token with its projects, as the controller does', async () => {
    const account = await serviceAccountWith(keyhold, admin.token, ['tokens:introspect'], 'resource server');
    const fast = await introspect(account.token, { token: account.token });
    expect(fast.body).toMatchObject({ active: true, actor_kind: 'service_account', client_id: account.id, projects: [] });
    expect(shape(fast)).toEqual(shape(await introspect(account.token, { token: account.token, ...VIA_CONTROLLER })));
  });

  it('counts the caller and the subject once each, on the fast path', async () => {
    const before = await verifications();
    expect((await introspect(admin.token, { token: admin.token })).status).toBe(200);
    const after = await verifications();
    // The caller, the subject, and the /metrics scrape's own caller before it.
    expect(counted(before, after, 'personalApiToken', 'accepted')).toBe(3);
  });

  it('answers every failure in the API words through the controller, and verifies and counts its caller once', async () => {
    const member = await keyhold.addUser(admin.token, 'member@fastpath.test', 'member');
    const before = await verifications();
    const checks = jest.spyOn(keyhold.app.get(CredentialIndexService), 'check');
    const checked = async (caller: string, form: Record<string, string>) => {
      checks.mockClear();
      const answer = await introspect(caller, form);
      return { ...answer, checks: checks.mock.calls.length };
    };

    const unauthenticated = await checked(`${admin.token.slice(0, -6)}BBBBBB`, { token: admin.token });
    expect(unauthenticated.status).toBe(401);
    const forbidden = await checked(member.token, { token: admin.token });
    expect(forbidden.status).toBe(403);
    const invalid = await checked(admin.token, { token: '' });
    expect(invalid.status).toBe(400);
    checks.mockRestore();
    // The caller's secret is checked once per request (the subject is not checked on these paths).
    expect([unauthenticated.checks, forbidden.checks, invalid.checks]).toEqual([1, 1, 1]);

    const after = await verifications();
    // A rejected caller once (not once per path); the member and the admin of the invalid request once each, plus the scrape.
    // (A tampered token may fail its checksum and count as unrecognised.)
    expect(counted(before, after, 'personalApiToken', 'rejected') + counted(before, after, 'unrecognised', 'rejected')).toBe(1);
    expect(counted(before, after, 'personalApiToken', 'accepted')).toBe(3);
    expect(forbidden.body.detail ?? forbidden.body.error_description).toContain('tokens:introspect');
  });
});
