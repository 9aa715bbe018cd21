import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, JWK, KeyLike } from 'jose';
import { EVENT_STORE, EventStore } from '@keyhold/event-store';
import { KafkaCommandRig } from '../support/kafka-commands';
import { KeyholdHarness } from '../support/keyhold-harness';
import { describeWithServer } from '../support/real-server';
import { everythingStoredUnder, secretsFoundIn } from '../support/secret-scan';

describeWithServer('KAFKA_BROKERS', 'Commands from internal services over Kafka', (brokers) => {
  const rig = new KafkaCommandRig(brokers, 'kafka-commands-test');
  const { topics, log, sent, send, sign, envelope, resultOf, deadLetterOf, decryptSecrets } = rig;
  let keyhold: KeyholdHarness;
  let admin: { tenantId: string; token: string };
  let commander: { id: string; privateKey: KeyLike };
  let target: { id: string };
  let reply: { publicJwk: JWK; privateKey: KeyLike };

  const tokenFor = (clientId: string, clientSecret: string) =>
    keyhold.request('POST', '/oauth/token', { form: { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret } });
  const secretResetsOf = async (accountId: string) =>
    (await keyhold.app.get<EventStore>(EVENT_STORE).readStream(`serviceAccount-${accountId}`)).filter((event) => event.type === 'ClientSecretReset').length;

  beforeAll(async () => {
    await rig.start();
    ({ keyhold, admin, commander, target, reply } = rig);
  }, 90_000);

  afterAll(() => rig.stop(), 30_000);

  it('refuses a private key, or a key of another type, as a command-signing key', async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const withPrivatePart = await keyhold.request('PUT', `/v1/service-accounts/${target.id}/command-signing-key`, { token: admin.token, json: await exportJWK(privateKey) });
    expect(withPrivatePart.status).toBe(400);
    expect(withPrivatePart.text).not.toContain((await exportJWK(privateKey)).d);
    const ec = await keyhold.request('PUT', `/v1/service-accounts/${target.id}/command-signing-key`, { token: admin.token, json: reply.publicJwk });
    expect(ec.status).toBe(400);
    expect(ec.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('resets a secret on a signed command and delivers it only encrypted to the reply key; a redelivery does not run again', async () => {
    const command = envelope('service-account.reset-secret', { id: target.id });
    const jws = await sign(command);
    await send(jws);

    const result = await resultOf(command.commandId);
    expect(result).toMatchObject({ status: 'accepted', redelivery: false, type: 'service-account.reset-secret', resultingIds: { serviceAccountId: target.id } });
    const secrets = await decryptSecrets(result.encryptedSecrets);
    expect(secrets.clientId).toBe(target.id);
    const token = await tokenFor(target.id, secrets.clientSecret);
    expect(token.status).toBe(200);
    expect(token.body.access_token).toEqual(expect.any(String));

    const seen = log.messages.length;
    await send(jws);
    const again = await resultOf(command.commandId, seen);
    expect(again).toMatchObject({ status: 'accepted', redelivery: true, secretsWithheld: true, resultingIds: { serviceAccountId: target.id } });
    expect(again.encryptedSecrets).toBeUndefined();
    expect(await secretResetsOf(target.id)).toBe(1);
    expect((await tokenFor(target.id, secrets.clientSecret)).status).toBe(200);

    const everything = [...log.messages.map((m) => m.value), ...sent, ...keyhold.logs].join('\n');
    expect(secretsFoundIn(everything, { clientSecret: secrets.clientSecret })).toEqual([]);
    expect(secretsFoundIn(everythingStoredUnder(keyhold.dataDir), { clientSecret: secrets.clientSecret })).toEqual([]);
  });

  it('sends poison messages to the dead-letter topic with the reason, and keeps running commands after them', async () => {
    await send('{"this is": not json');
    const unknownType = envelope('token.issue', { label: 'x' });
    await send(await sign(unknownType));
    const invalidPayload = envelope('service-account.reset-secret', { id: 'not-a-uuid' });
    await send(await sign(invalidPayload));
    const forged = envelope('service-account.reset-secret', { id: target.id });
    await send(await sign(forged, (await generateKeyPair('EdDSA', { crv: 'Ed25519' })).privateKey));
    const noReplyKey = envelope('service-account.reset-secret', { id: target.id }, { replyKey: undefined });
    await send(await sign(noReplyKey));
    const stale = envelope('service-account.reset-secret', { id: target.id }, { issuedAt: new Date(Date.now() - 10 * 60_000).toISOString() });
    await send(await sign(stale));
    const valid = envelope('service-account.reset-secret', { id: target.id });
    await send(await sign(valid));

    expect(await deadLetterOf((d) => d.code === 'malformed' && d.original === '{"this is": not json')).toMatchObject({ topic: topics.commands, partition: 0, commandId: null });
    expect(await deadLetterOf((d) => d.commandId === unknownType.commandId)).toMatchObject({ code: 'unknown-type', reason: expect.stringContaining('service-account.reset-secret') });
    expect(await deadLetterOf((d) => d.commandId === invalidPayload.commandId)).toMatchObject({ code: 'validation-error', reason: expect.stringContaining('id must be a UUID') });
    expect(await deadLetterOf((d) => d.commandId === forged.commandId)).toMatchObject({ code: 'unauthenticated' });
    expect(await deadLetterOf((d) => d.commandId === noReplyKey.commandId)).toMatchObject({ code: 'validation-error', reason: expect.stringContaining('replyKey') });
    expect(await deadLetterOf((d) => d.commandId === stale.commandId)).toMatchObject({ code: 'stale' });
    // The requester hears of each refusal on its own key too.
    expect(await resultOf(forged.commandId)).toMatchObject({ status: 'rejected', error: { code: 'unauthenticated' } });

    const result = await resultOf(valid.commandId);
    expect(result.status).toBe('accepted');
    const { clientSecret } = await decryptSecrets(result.encryptedSecrets);
    expect((await tokenFor(target.id, clientSecret)).status).toBe(200);
    // Two resets in all: the first test's and this one; none of the refused commands ran.
    expect(await secretResetsOf(target.id)).toBe(2);
    expect(log.count(topics.results, (r) => r.commandId === forged.commandId && r.status === 'accepted')).toBe(0);

    const everything = [...log.messages.map((m) => m.value), ...sent].join('\n');
    expect(secretsFoundIn(everything, { clientSecret })).toEqual([]);
  });

  it('runs a command with the service account\'s own rights only: without the permission it is recorded as refused', async () => {
    const integration = envelope('integration.delete', { id: randomUUID() });
    await send(await sign(integration));
    expect(await resultOf(integration.commandId)).toMatchObject({ status: 'rejected', redelivery: false, error: { code: 'forbidden', reason: expect.stringContaining('integrations:write') } });
    const claim = await keyhold.app.get<EventStore>(EVENT_STORE).readStream(`kafkaCommand-${integration.commandId}`);
    expect(claim.map((event) => event.type)).toEqual(['KafkaCommandReceived', 'KafkaCommandCompleted']);
    expect(claim[1].data).toMatchObject({ outcome: { status: 'rejected', code: 'forbidden' } });
  });

  // Issue 13: reauthorizing needs a user who confirms with their password, which a signed command never is.
  it('never reauthorizes an integration, even with integrations:write: the type is not offered and the token lives on', async () => {
    const password = `pw-${randomUUID()}`;
    expect((await keyhold.request('PUT', '/v1/me/password', { token: admin.token, json: { newPassword: password } })).status).toBe(204);
    const integration = await keyhold.post('/v1/integrations', admin.token, { name: 'ERP', email: 'ops@erp.example', resourceAccess: 'all', password });
    const first = (await keyhold.post(`/v1/integrations/${integration.body.id}/activate`, admin.token)).body.tokens;
    expect((await keyhold.request('PUT', `/v1/service-accounts/${commander.id}/permissions/integrations:write`, { token: admin.token })).status).toBe(200);

    const command = envelope('integration.reauthorize', { id: integration.body.id });
    await send(await sign(command));
    const result = await resultOf(command.commandId);
    expect(result).toMatchObject({ status: 'rejected', error: { code: 'unknown-type' } });
    expect(result.encryptedSecrets).toBeUndefined();
    expect((await keyhold.get('/v1/me', first.accessToken)).status).toBe(200);
  });

  it('revokes an API client secret on a signed command: the secret stops authenticating at once', async () => {
    const client = (await keyhold.post('/v1/api-clients', admin.token, { name: 'reporting' })).body;
    const flows = { requirePkce: false, refreshTokens: false, password: false, clientCredentials: true, clientCredentialsRoles: ['member'] };
    expect((await keyhold.request('PUT', `/v1/api-clients/${client.id}/flows`, { token: admin.token, json: flows })).status).toBe(200);
    expect((await tokenFor(client.clientId, client.clientSecret)).status).toBe(200);

    const command = envelope('api-client.secret.remove', { id: client.id, secretId: client.secretId }, { replyKey: undefined });
    await send(await sign(command));
    expect(await resultOf(command.commandId)).toMatchObject({ status: 'accepted', resultingIds: { apiClientId: client.id, secretId: client.secretId } });
    expect((await tokenFor(client.clientId, client.clientSecret)).status).toBe(401);
  });

  it("keeps tenants apart: another tenant's account can neither reach this tenant's accounts nor read its command outcomes", async () => {
    const other = await keyhold.bootstrap(`cmd-other-${randomUUID().slice(0, 8)}`);
    const account = (await keyhold.post('/v1/service-accounts', other.token, { name: 'intruder' })).body.id;
    await keyhold.request('PUT', `/v1/service-accounts/${account}/permissions/clients:write`, { token: other.token });
    const signing = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    await keyhold.request('PUT', `/v1/service-accounts/${account}/command-signing-key`, { token: other.token, json: await exportJWK(signing.publicKey) });
    const asOther = { tenantId: other.tenantId, serviceAccountId: account };

    const crossTenant = envelope('service-account.reset-secret', { id: target.id }, asOther);
    await send(await sign(crossTenant, signing.privateKey));
    expect(await resultOf(crossTenant.commandId)).toMatchObject({ status: 'rejected', error: { code: 'ServiceAccountNotFound' } });

    const posingAsThisTenant = envelope('service-account.reset-secret', { id: target.id }, { serviceAccountId: account });
    await send(await sign(posingAsThisTenant, signing.privateKey));
    expect(await deadLetterOf((d) => d.commandId === posingAsThisTenant.commandId)).toMatchObject({ code: 'unauthenticated' });

    const ours = envelope('service-account.reset-secret', { id: target.id });
    await send(await sign(ours));
    expect(await resultOf(ours.commandId)).toMatchObject({ status: 'accepted' });
    const seen = log.messages.length;
    const reused = envelope('service-account.reset-secret', { id: account }, { ...asOther, commandId: ours.commandId });
    await send(await sign(reused, signing.privateKey));
    const answer = await resultOf(ours.commandId, seen);
    expect(answer).toMatchObject({ status: 'rejected', redelivery: true, error: { code: 'command-id-reused' } });
    expect(answer.resultingIds).toBeUndefined();
  });
});
