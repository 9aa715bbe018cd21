import { randomUUID } from 'node:crypto';
import { INTEGRATION_RESOURCE_NAMES } from '@keyhold/domain';
import { expectProblem, KeyholdHarness } from '../support/keyhold-harness';

describe('Anonymous guest access (the store-wide setting), end to end', () => {
  let keyhold: KeyholdHarness;
  let admin: { tenantId: string; token: string };
  let other: { tenantId: string; token: string };
  const asGuest = (path: string, tenantId: string | undefined = admin.tenantId) =>
    keyhold.request('GET', path, { headers: tenantId === undefined ? {} : { 'keyhold-tenant': tenantId } });
  const setGuestAccess = (token: string, allowed: boolean) => keyhold.request('PATCH', '/v1/settings', { token, json: { allowAnonymousGuestAccess: allowed } });

  beforeAll(async () => {
    keyhold = await KeyholdHarness.start();
    admin = await keyhold.bootstrap(`guest-${randomUUID().slice(0, 8)}`);
    other = await keyhold.bootstrap(`guest-other-${randomUUID().slice(0, 8)}`);
  });
  afterAll(async () => {
    await keyhold.stop();
  });

  it('is off by default: the catalogue needs a credential', async () => {
    expectProblem(await asGuest('/v1/integrations/resources'), 401, 'unauthenticated');
    expectProblem(await asGuest('/v1/integrations/resources', undefined), 401, 'unauthenticated');
    expectProblem(await asGuest('/v1/integrations/resources', 'not-a-tenant-id'), 401, 'unauthenticated');
    expectProblem(await asGuest('/v1/integrations/resources', randomUUID()), 401, 'unauthenticated');
  });

  it('on, serves the integration resource catalogue to guests of that tenant only, and nothing else', async () => {
    expect((await setGuestAccess(other.token, true)).status).toBe(200);
    expectProblem(await asGuest('/v1/integrations/resources'), 401, 'unauthenticated');
    expect((await setGuestAccess(admin.token, true)).status).toBe(200);
    const served = await asGuest('/v1/integrations/resources');
    expect(served.status).toBe(200);
    expect(served.body.items.map((r: { name: string }) => r.name)).toEqual(INTEGRATION_RESOURCE_NAMES);
    for (const path of ['/v1/users', '/v1/integrations', '/v1/settings', '/v1/connections', '/v1/me']) {
      expectProblem(await asGuest(path), 401, 'unauthenticated');
    }
    // A credential, when given, is checked as always: a wrong one is not a guest.
    expectProblem(await keyhold.request('GET', '/v1/integrations/resources', { headers: { authorization: 'Bearer nope', 'keyhold-tenant': admin.tenantId } }), 401, 'unauthenticated');
    expect((await setGuestAccess(admin.token, false)).status).toBe(200);
    expectProblem(await asGuest('/v1/integrations/resources'), 401, 'unauthenticated');
  });

  it('rate-limits guests per source address and counts what it served and refused', async () => {
    expect((await setGuestAccess(admin.token, true)).status).toBe(200);
    const before = (await keyhold.get('/v1/settings/guest-access', admin.token)).body;
    const statuses: number[] = [];
    for (let n = 0; n < 62; n += 1) statuses.push((await asGuest('/v1/integrations/resources')).status);
    const served = statuses.filter((status) => status === 200).length;
    expect(served).toBeLessThanOrEqual(60);
    expect(statuses.at(-1)).toBe(429);
    const limited = await asGuest('/v1/integrations/resources');
    expectProblem(limited, 429, 'rate-limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // The other tenant's guests have their own allowance.
    expect((await asGuest('/v1/integrations/resources', other.tenantId)).status).toBe(200);

    const usage = await keyhold.get('/v1/settings/guest-access', admin.token);
    expect(usage.body).toMatchObject({ allowAnonymousGuestAccess: true, guestAccessibleRoutes: ['GET /v1/integrations/resources'] });
    expect(usage.body.served - before.served).toBe(served);
    expect(usage.body.rateLimited - before.rateLimited).toBe(62 - served + 1);
    expect(before.refused).toBeGreaterThanOrEqual(2);
    expectProblem(await asGuest('/v1/settings/guest-access'), 401, 'unauthenticated');
  });
});
