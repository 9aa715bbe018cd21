import { CredentialVerifier, KeyholdCredentials, KeyholdError, keyholdApi, bodyOf } from '@keyhold/client';
import { MESSAGE_BUS, MessageBus } from '@keyhold/messaging';
import { eventually } from '../support/eventually';
import { KeyholdHarness } from '../support/keyhold-harness';

/** How many introspection requests Keyhold has answered, from its request log. */
const introspections = (keyhold: KeyholdHarness) =>
  keyhold.logs
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.includes('"msg":"request"') && line.includes('"route":"/oauth/introspect"')).length;

/** libs/client as another service uses it: the typed REST client, issuance, rotation, and cached verification. */
describe('@keyhold/client', () => {
  let keyhold: KeyholdHarness;
  let admin: Awaited<ReturnType<KeyholdHarness['bootstrap']>>;
  let verifier: CredentialVerifier;

  beforeAll(async () => {
    keyhold = await KeyholdHarness.start();
    admin = await keyhold.bootstrap('acme');
  });
  afterAll(async () => {
    await verifier?.close();
    await keyhold.stop();
  });

  it('issues, verifies from its cache, and hears a revocation on the lifecycle topic within the bound', async () => {
    const api = keyholdApi(keyhold.url, admin.token);
    const credentials = new KeyholdCredentials(api);
    verifier = new CredentialVerifier(api, { ttlMs: 60_000, feedBoundMs: 5_000 });
    await verifier.listen(keyhold.app.get<symbol, MessageBus>(MESSAGE_BUS), 'reporting-service');

    const issued = await credentials.issueToken('reporting job', 'read');
    expect(issued.token).toMatch(/^kh_pat_/);
    expect(issued.status).toBe('active');

    const first = await verifier.verify(issued.token);
    expect(first).toMatchObject({ active: true, jti: issued.id, sub: admin.userId, tenant_id: admin.tenantId, credential_kind: 'personal_api_token' });
    const asked = introspections(keyhold);
    expect(await verifier.verify(issued.token)).toEqual(first);
    expect(introspections(keyhold)).toBe(asked);

    const revoked = await credentials.revokeToken(issued.id, 'job retired');
    expect(revoked.status).toBe('revoked');
    // The relay publishes the revocation; the verifier drops the cached answer and asks again.
    expect(await eventually(async () => (await verifier.verify(issued.token)).active === false, 5_000, 50)).toBe(true);
    expect(introspections(keyhold)).toBeGreaterThan(asked);
    expect(await verifier.verify('kh_pat_not-one-of-ours')).toEqual({ active: false });
  });

  it('rotates an API client secret: the new one is added, the old one removed', async () => {
    const api = keyholdApi(keyhold.url, admin.token);
    const created = await bodyOf(api.POST('/v1/api-clients', { body: { name: 'nightly export' } }));
    const rotated = await new KeyholdCredentials(api).rotateClientSecret(created.clientId, created.secretId, 30);
    expect(rotated.clientSecret).toMatch(/^kh_cs_/);
    expect(rotated.secretId).not.toBe(created.secretId);
    const secrets = await bodyOf(api.GET('/v1/api-clients/{id}/secrets', { params: { path: { id: created.clientId } } }));
    expect(JSON.stringify(secrets)).not.toContain(rotated.clientSecret);
    expect(secrets.items.map((secret) => secret.id)).toEqual([rotated.secretId]);
  });

  it('turns a refusal into a KeyholdError carrying the problem document', async () => {
    const credentials = new KeyholdCredentials(keyholdApi(keyhold.url, admin.token));
    const refusal = await credentials.revokeToken('00000000-0000-4000-8000-000000000000', 'typo').catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(KeyholdError);
    expect(refusal).toMatchObject({ status: 404, problem: { type: 'https://keyhold.dev/problems/not-found', status: 404 } });
  });
});
