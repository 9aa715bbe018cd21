import { expectProblem, KeyholdHarness } from '../support/keyhold-harness';

describe('GET /v1/history/expiring-secrets: API client secrets expiring soon, for auditors', () => {
  let keyhold: KeyholdHarness;
  let admin: { token: string };
  let auditor: string;
  let member: string;

  beforeAll(async () => {
    keyhold = await KeyholdHarness.start();
    admin = await keyhold.bootstrap('acme');
    const addUser = async (email: string, role: string) => (await keyhold.addUser(admin.token, email, role)).token;
    auditor = await addUser('ada@acme.test', 'auditor');
    member = await addUser('bob@acme.test', 'member');
  });
  afterAll(() => keyhold?.stop());

  it('lists what /v1/api-client-secrets lists admins (hints and dates, no secret) to an auditor, and no one else', async () => {
    const soon = await keyhold.post('/v1/api-clients', admin.token, { name: 'billing export', secretLifetimeDays: 10 });
    await keyhold.post('/v1/api-clients', admin.token, { name: 'long lived', secretLifetimeDays: 300 });

    const listed = await keyhold.get('/v1/history/expiring-secrets?expiringWithinDays=30', auditor);
    expect(listed.status).toBe(200);
    expect(listed.body.items).toEqual([
      { id: soon.body.secretId, clientId: soon.body.clientId, clientName: 'billing export', hint: expect.stringMatching(/…/), createdAt: expect.any(String), expiresAt: soon.body.secretExpiresAt },
    ]);
    expect(listed.text).not.toContain(soon.body.clientSecret);
    expect((await keyhold.get('/v1/api-client-secrets?expiringWithinDays=30', admin.token)).body).toEqual(listed.body);

    expectProblem(await keyhold.get('/v1/api-client-secrets?expiringWithinDays=30', auditor), 403, 'forbidden');
    expectProblem(await keyhold.get('/v1/history/expiring-secrets?expiringWithinDays=30', member), 403, 'forbidden');
    expectProblem(await keyhold.get('/v1/history/expiring-secrets', auditor), 400, 'validation-error');
  });

  it('is in the OpenAPI document with the shape of its answer', async () => {
    const document = (await keyhold.get('/openapi.json')).body;
    const answer = document.paths['/v1/history/expiring-secrets'].get.responses['200'].content['application/json'].schema;
    expect(Object.keys(answer.properties.items.items.properties).sort()).toEqual(['clientId', 'clientName', 'createdAt', 'expiresAt', 'hint', 'id']);
    expect(document.paths['/console']).toBeUndefined();
  });
});
