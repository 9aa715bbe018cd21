import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OAuth from 'oauth-1.0a';
import { describeWithChromium, launchChromium } from '../support/chromium';
import { expectProblem, KeyholdHarness } from '../support/keyhold-harness';
import { everythingStoredUnder, secretsFoundIn } from '../support/secret-scan';

/**
 * The OAuth 1.0a integration handshake, end to end: an integration app written here, with the
 * `oauth-1.0a` client library from npm, receives its consumer credentials at a callback URL on
 * loopback, obtains a request token and an access token from Keyhold, sends the admin (a real
 * Chromium) back to Keyhold from its identity link, and then makes signed API calls.
 */

const hmacSha256 = (base: string, key: string) => createHmac('sha256', key).update(base).digest('base64');
const client = (consumer: { key: string; secret: string }) => new OAuth({ consumer, signature_method: 'HMAC-SHA256', hash_function: hmacSha256 });

type Received = { consumerKey: string; consumerSecret: string; storeBaseUrl: string; verifier: string };
type Tokens = { key: string; secret: string };

const readBody = (request: IncomingMessage) =>
  new Promise<string>((resolve) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });

const formOf = (text: string) => Object.fromEntries(new URLSearchParams(text));

/**
 * A third-party integration as the seed's product expects one: it takes the credentials posted to
 * its callback URL, runs the handshake, and lets the admin log in at its identity link before
 * sending them back to Keyhold's success_call_back.
 */
class IntegrationApp {
  readonly callbacks: Received[] = [];
  readonly hits: string[] = [];
  handshake: Promise<Tokens> | null = null;
  /** Off: the callback only stores what it got, and the test runs the handshake itself. */
  autoHandshake = true;
  /** What the callback answers; tests switch it to watch failures. */
  callbackStatus = 200;
  redirectTo: string | null = null;
  private server!: Server;
  url = '';

  async start() {
    this.server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop() {
    return new Promise((resolve) => this.server.close(resolve));
  }

  private async handle(request: IncomingMessage, response: ServerResponse) {
    const url = new URL(request.url!, this.url);
    this.hits.push(`${request.method} ${url.pathname}`);
    if (url.pathname === '/callback' && request.method === 'POST') {
      const body = formOf(await readBody(request));
      if (this.redirectTo) return response.writeHead(302, { location: this.redirectTo }).end();
      if (this.callbackStatus !== 200) return response.writeHead(this.callbackStatus).end();
      const received = { consumerKey: body.oauth_consumer_key, consumerSecret: body.oauth_consumer_secret, storeBaseUrl: body.store_base_url, verifier: body.oauth_verifier };
      this.callbacks.push(received);
      // As integrations do: take the credentials, answer, then run the handshake.
      if (this.autoHandshake) this.handshake = IntegrationApp.runHandshake(received);
      return response.writeHead(200).end('ok');
    }
    if (url.pathname === '/login' && request.method === 'GET') {
      // The admin "logs in" here; once the integration has its access token, back to Keyhold.
      await this.handshake;
      return response.writeHead(302, { location: url.searchParams.get('success_call_back')! }).end();
    }
    response.writeHead(404).end();
  }

  static async runHandshake({ consumerKey, consumerSecret, storeBaseUrl, verifier }: Received): Promise<Tokens> {
    const oauth = client({ key: consumerKey, secret: consumerSecret });
    const requestTokenUrl = `${storeBaseUrl}/oauth/1.0a/request-token`;
    const first = await fetch(requestTokenUrl, { method: 'POST', headers: { ...oauth.toHeader(oauth.authorize({ url: requestTokenUrl, method: 'POST' })) } });
    if (first.status !== 200) throw new Error(`request token: ${first.status} ${await first.text()}`);
    const requestToken = formOf(await first.text());
    const accessTokenUrl = `${storeBaseUrl}/oauth/1.0a/access-token`;
    const signed = oauth.authorize({ url: accessTokenUrl, method: 'POST', data: { oauth_verifier: verifier } }, { key: requestToken.oauth_token, secret: requestToken.oauth_token_secret });
    const second = await fetch(accessTokenUrl, { method: 'POST', headers: { ...oauth.toHeader({ ...signed, oauth_verifier: verifier } as OAuth.Authorization) } });
    if (second.status !== 200) throw new Error(`access token: ${second.status} ${await second.text()}`);
    const access = formOf(await second.text());
    return { key: access.oauth_token, secret: access.oauth_token_secret };
  }
}

const password = () => `pw ${randomBytes(12).toString('base64url')} long enough`;

// The admin's return through the identity link is a real browser's; the later tests build on the first.
describeWithChromium('OAuth 1.0a integration handshake and signed calls, end to end', () => {
  let keyhold: KeyholdHarness;
  let app: IntegrationApp;
  let admin: { tenantId: string; userId: string; token: string };
  let adminPassword: string;
  const seen: Record<string, string> = {};

  beforeAll(async () => {
    keyhold = await KeyholdHarness.start(undefined, { OUTBOUND_ALLOW_LOOPBACK: 'true' });
    app = new IntegrationApp();
    await app.start();
    admin = await keyhold.bootstrap(`hs-${randomUUID().slice(0, 8)}`);
    adminPassword = password();
    seen['admin password'] = adminPassword;
    expect((await keyhold.request('PUT', '/v1/me/password', { token: admin.token, json: { newPassword: adminPassword } })).status).toBe(204);
  });
  afterAll(async () => {
    await app.stop();
    await keyhold.stop();
  });

  const createIntegration = (body: Record<string, unknown>) =>
    keyhold.post('/v1/integrations', admin.token, {
      name: `ERP ${randomUUID().slice(0, 6)}`,
      email: 'ops@erp.example',
      callbackUrl: `${app.url}/callback`,
      identityLinkUrl: `${app.url}/login`,
      resourceAccess: 'custom',
      resources: ['users.read'],
      password: adminPassword,
      ...body,
    });

  let integrationId: string;
  let consumer: { key: string; secret: string };
  let access: Tokens;

  it('activates through the handshake: callback, request token, access token, the admin back through the identity link, confirmed', async () => {
    const created = await createIntegration({});
    expect(created.body.insecure).toBe(true);
    integrationId = created.body.id;
    const activated = await keyhold.post(`/v1/integrations/${integrationId}/activate`, admin.token);
    expect(activated.status).toBe(202);
    expect(activated.headers.get('cache-control')).toBe('no-store');
    expect(activated.body).toMatchObject({ id: integrationId, status: 'activating' });
    expect(activated.body.tokens).toBeUndefined();

    // The callback got the consumer credentials, Keyhold's base URL and a verifier.
    expect(app.callbacks).toHaveLength(1);
    const [received] = app.callbacks;
    expect(received.consumerKey).toMatch(/^kh_ick_/);
    expect(received.consumerSecret).toMatch(/^kh_ics_/);
    expect(received.verifier).toMatch(/^kh_iov_/);
    expect(received.storeBaseUrl).toBe(keyhold.url);
    consumer = { key: received.consumerKey, secret: received.consumerSecret };
    Object.assign(seen, { 'consumer key': received.consumerKey, 'consumer secret': received.consumerSecret, verifier: received.verifier });
    expect(activated.text).not.toContain(received.consumerSecret);

    access = await app.handshake!;
    expect(access.key).toMatch(/^kh_iat_/);
    expect(access.secret).toMatch(/^kh_ias_/);
    Object.assign(seen, { 'access token': access.key, 'access token secret': access.secret });
    expect((await keyhold.get(`/v1/integrations/${integrationId}`, admin.token)).body).toMatchObject({ status: 'active', confirmedAt: null });

    // The admin follows the identity link in a browser; the integration sends them back to Keyhold.
    const link = new URL(activated.body.identityLink);
    expect(`${link.origin}${link.pathname}`).toBe(`${app.url}/login`);
    const back = new URL(link.searchParams.get('success_call_back')!);
    expect(back.origin).toBe(keyhold.url);
    seen['return state'] = back.searchParams.get('state')!;
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const response = await page.goto(activated.body.identityLink);
      expect(response?.status()).toBe(200);
      expect(page.url().startsWith(`${keyhold.url}/integrations/return`)).toBe(true);
      expect(await page.locator('h1').textContent()).toBe('Integration active');
      // A forged or replayed return is an HTML error page, never a 500.
      const forged = new URL(back);
      forged.searchParams.set('state', 'kh_irr_not-the-state');
      const refused = await page.goto(forged.toString());
      expect(refused?.status()).toBe(400);
      expect(await page.locator('h1').textContent()).toBe('Integration not activated');
      const malformed = await page.goto(`${keyhold.url}/integrations/return?tenant=nope`);
      expect(malformed?.status()).toBe(400);
    } finally {
      await browser.close();
    }
    const view = (await keyhold.get(`/v1/integrations/${integrationId}`, admin.token)).body;
    expect(view).toMatchObject({ status: 'active', confirmedAt: expect.any(String) });

    const types = (await keyhold.events()).filter((e) => (e.data as { integrationId?: string }).integrationId === integrationId).map((e) => e.type);
    expect(types).toEqual(
      expect.arrayContaining(['IntegrationActivationStarted', 'IntegrationCallbackDelivered', 'IntegrationRequestTokenIssued', 'IntegrationActivated', 'IntegrationActivationConfirmed']),
    );
    const activatedEvent = (await keyhold.events()).find((e) => e.type === 'IntegrationActivated' && (e.data as { integrationId: string }).integrationId === integrationId)!;
    expect(activatedEvent.data).toMatchObject({ via: 'handshake', sealed: { dataKeyId: expect.any(String) } });
  });

  it('refuses the handshake steps with a wrong signature or verifier, a used request token, an unknown consumer', async () => {
    app.autoHandshake = false;
    const created = await createIntegration({});
    expect((await keyhold.post(`/v1/integrations/${created.body.id}/activate`, admin.token)).status).toBe(202);
    app.autoHandshake = true;
    const received = app.callbacks.at(-1)!;
    const requestTokenUrl = `${keyhold.url}/oauth/1.0a/request-token`;
    const accessTokenUrl = `${keyhold.url}/oauth/1.0a/access-token`;
    const post = (url: string, oauth: OAuth, token?: Tokens, verifier?: string) => {
      const signed = oauth.authorize({ url, method: 'POST', data: verifier ? { oauth_verifier: verifier } : {} }, token);
      return fetch(url, { method: 'POST', headers: { ...oauth.toHeader(verifier ? ({ ...signed, oauth_verifier: verifier } as OAuth.Authorization) : signed) } });
    };
    const expectRefused = async (answer: Response, status: number, problem: string, error: string) => {
      expect(answer.status).toBe(status);
      expect(answer.headers.get('www-authenticate')).toBe(`OAuth realm="keyhold", oauth_problem="${problem}"`);
      expect(await answer.json()).toMatchObject({ error });
    };

    // Without the consumer secret, no request token.
    await expectRefused(await post(requestTokenUrl, client({ key: received.consumerKey, secret: 'kh_ics_guessed' })), 401, 'signature_invalid', 'invalid_request');
    const oauth = client({ key: received.consumerKey, secret: received.consumerSecret });
    const first = await post(requestTokenUrl, oauth);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toMatch(/^application\/x-www-form-urlencoded/);
    const requestToken = formOf(await first.text());
    expect(requestToken.oauth_callback_confirmed).toBe('true');
    const token = { key: requestToken.oauth_token, secret: requestToken.oauth_token_secret };
    Object.assign(seen, { 'request token': token.key, 'request token secret': token.secret });

    await expectRefused(await post(accessTokenUrl, oauth, token, 'kh_iov_not-the-verifier'), 401, 'verifier_invalid', 'invalid_grant');
    await expectRefused(await post(accessTokenUrl, oauth, { key: token.key, secret: 'wrong' }, received.verifier), 401, 'signature_invalid', 'invalid_request');
    await expectRefused(await post(accessTokenUrl, oauth, token), 400, 'parameter_absent', 'invalid_request');
    const exchanged = await post(accessTokenUrl, oauth, token, received.verifier);
    expect(exchanged.status).toBe(200);
    const accessToken = formOf(await exchanged.text());
    Object.assign(seen, { 'second access token': accessToken.oauth_token, 'second access token secret': accessToken.oauth_token_secret });
    // The request token is used up: the integration is active.
    await expectRefused(await post(accessTokenUrl, oauth, token, received.verifier), 401, 'token_rejected', 'invalid_grant');
    await expectRefused(await post(requestTokenUrl, oauth), 401, 'token_rejected', 'invalid_grant');

    const unsigned = await fetch(requestTokenUrl, { method: 'POST' });
    expect(unsigned.status).toBe(400);
    expect(await unsigned.json()).toMatchObject({ error: 'invalid_request' });
    await expectRefused(await post(requestTokenUrl, client({ key: 'kh_ick_unknown', secret: 'x' })), 401, 'consumer_key_unknown', 'invalid_client');
  });

  describe('signed API calls', () => {
    const signedGet = (path: string, options: { consumer?: { key: string; secret: string }; token?: Tokens; timestamp?: number; sentPath?: string } = {}) => {
      const oauth = client(options.consumer ?? consumer);
      if (options.timestamp !== undefined) oauth.getTimeStamp = () => options.timestamp!;
      const header = oauth.toHeader(oauth.authorize({ url: `${keyhold.url}${path}`, method: 'GET' }, options.token ?? access));
      return { header, send: () => keyhold.request('GET', options.sentPath ?? path, { headers: { ...header } }) };
    };
    const expectOAuthRefusal = (result: Awaited<ReturnType<typeof keyhold.request>>, problem: string) => {
      expectProblem(result, 401, 'unauthenticated');
      expect(result.headers.get('www-authenticate')).toBe(`OAuth realm="keyhold", oauth_problem="${problem}"`);
      expect(result.body.oauth_problem).toBe(problem);
    };

    it('are accepted with the integration’s resource rights, and no more', async () => {
      const me = await signedGet('/v1/me').send();
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ tenantId: admin.tenantId, actor: { kind: 'integration', id: integrationId }, permissions: ['users:read'] });
      expect((await signedGet('/v1/users?limit=2').send()).status).toBe(200);
      expectProblem(await signedGet('/v1/integrations').send(), 403, 'forbidden');
      // The access token alone still works as a bearer.
      expect((await keyhold.get('/v1/me', access.key)).status).toBe(200);
    });

    it('refuse a replayed signature within the window', async () => {
      const call = signedGet('/v1/me');
      expect((await call.send()).status).toBe(200);
      expectOAuthRefusal(await call.send(), 'nonce_used');
    });

    it('refuse a tampered parameter, a wrong secret, a stale or future timestamp, a foreign consumer key', async () => {
      expectOAuthRefusal(await signedGet('/v1/users?limit=1', { sentPath: '/v1/users?limit=50' }).send(), 'signature_invalid');
      expectOAuthRefusal(await signedGet('/v1/me', { consumer: { key: consumer.key, secret: 'kh_ics_wrong' } }).send(), 'signature_invalid');
      expectOAuthRefusal(await signedGet('/v1/me', { token: { key: access.key, secret: 'wrong' } }).send(), 'signature_invalid');
      const now = Math.floor(Date.now() / 1000);
      expectOAuthRefusal(await signedGet('/v1/me', { timestamp: now - 3600 }).send(), 'timestamp_refused');
      expectOAuthRefusal(await signedGet('/v1/me', { timestamp: now + 3600 }).send(), 'timestamp_refused');
      expectOAuthRefusal(await signedGet('/v1/me', { consumer: { key: 'kh_ick_someone_else', secret: consumer.secret } }).send(), 'consumer_key_unknown');
      expectOAuthRefusal(await signedGet('/v1/me', { token: { key: 'kh_iat_unknown', secret: access.secret } }).send(), 'token_rejected');
      const plaintext = await keyhold.request('GET', '/v1/me', { headers: { authorization: 'OAuth oauth_consumer_key="x", oauth_signature_method="PLAINTEXT"' } });
      expectOAuthRefusal(plaintext, 'parameter_absent');
      const garbage = await keyhold.request('GET', '/v1/me', { headers: { authorization: 'OAuth this is not it' } });
      expectOAuthRefusal(garbage, 'parameter_absent');
    });

    it('stop with a reauthorization (old token) and a deletion', async () => {
      const again = await keyhold.post(`/v1/integrations/${integrationId}/reauthorize`, admin.token, { password: adminPassword });
      expect(again.status).toBe(200);
      const renewed = { key: again.body.tokens.accessToken, secret: again.body.tokens.accessTokenSecret };
      Object.assign(seen, { 'renewed access token': renewed.key, 'renewed access token secret': renewed.secret });
      expectOAuthRefusal(await signedGet('/v1/me').send(), 'token_rejected');
      expect((await signedGet('/v1/me', { token: renewed }).send()).status).toBe(200);
      expect((await keyhold.request('DELETE', `/v1/integrations/${integrationId}`, { token: admin.token })).status).toBe(204);
      expectOAuthRefusal(await signedGet('/v1/me', { token: renewed }).send(), 'token_rejected');
    });
  });

  it('keeps every handshake secret out of the log, the stored files and the logs', async () => {
    expect(Object.keys(seen).length).toBeGreaterThanOrEqual(9);
    expect(secretsFoundIn(JSON.stringify(await keyhold.events()), seen)).toEqual([]);
    expect(secretsFoundIn(everythingStoredUnder(keyhold.dataDir), seen)).toEqual([]);
    expect(secretsFoundIn(keyhold.logs.join('\n'), seen)).toEqual([]);
  });
});

describe('Outbound calls to a callback URL', () => {
  let app: IntegrationApp;
  beforeAll(async () => {
    app = new IntegrationApp();
    await app.start();
  });
  afterAll(async () => {
    await app.stop();
  });

  const setUp = async (env: Record<string, string>) => {
    const keyhold = await KeyholdHarness.start(mkdtempSync(join(tmpdir(), 'keyhold-outbound-')), env);
    const admin = await keyhold.bootstrap(`ob-${randomUUID().slice(0, 8)}`);
    const adminPassword = password();
    await keyhold.request('PUT', '/v1/me/password', { token: admin.token, json: { newPassword: adminPassword } });
    const create = async (callbackUrl: string) =>
      (await keyhold.post('/v1/integrations', admin.token, { name: `I ${randomUUID().slice(0, 6)}`, email: 'a@b.example', callbackUrl, resourceAccess: 'all', password: adminPassword })).body.id as string;
    const failures = async (id: string) =>
      (await keyhold.events()).filter((e) => e.type === 'IntegrationCallbackFailed' && (e.data as { integrationId: string }).integrationId === id).map((e) => e.data);
    return { keyhold, admin, create, failures };
  };

  it('refuses loopback and private addresses unless the operator allows them, recording the failure', async () => {
    const { keyhold, admin, create, failures } = await setUp({});
    try {
      // A name that resolves to loopback is refused at connection time, like a literal address.
      for (const url of [`${app.url}/callback`, `${app.url.replace('127.0.0.1', 'localhost')}/callback`, 'http://10.1.2.3/callback', 'https://169.254.169.254/latest', 'https://[::1]:1/x']) {
        const id = await create(url);
        const refused = await keyhold.post(`/v1/integrations/${id}/activate`, admin.token);
        expectProblem(refused, 422, 'outbound-refused');
        expect(await failures(id)).toEqual([expect.objectContaining({ attempts: 0, reason: expect.stringMatching(/loopback, private or link-local/) })]);
        expect((await keyhold.get(`/v1/integrations/${id}`, admin.token)).body.status).toBe('activating');
      }
      expect(app.hits.filter((hit) => hit === 'POST /callback')).toEqual([]);
    } finally {
      await keyhold.stop();
    }
  });

  it('does not follow redirects, retries server errors with back-off, and says so with a 502', async () => {
    const { keyhold, admin, create, failures } = await setUp({ OUTBOUND_ALLOW_LOOPBACK: 'true' });
    try {
      app.redirectTo = 'http://169.254.169.254/latest/meta-data';
      const redirected = await create(`${app.url}/callback`);
      expectProblem(await keyhold.post(`/v1/integrations/${redirected}/activate`, admin.token), 502, 'outbound-failed');
      expect(await failures(redirected)).toEqual([expect.objectContaining({ attempts: 1, reason: expect.stringMatching(/redirects are not followed/) })]);
      app.redirectTo = null;

      app.callbackStatus = 503;
      const hitsBefore = app.hits.length;
      const failing = await create(`${app.url}/callback`);
      const failed = await keyhold.post(`/v1/integrations/${failing}/activate`, admin.token);
      expectProblem(failed, 502, 'outbound-failed');
      expect(app.hits.slice(hitsBefore).filter((hit) => hit === 'POST /callback')).toHaveLength(3);
      expect(await failures(failing)).toEqual([expect.objectContaining({ attempts: 3, reason: 'Answered 503.' })]);
      // Once the integration answers, activating again starts over and goes through.
      app.callbackStatus = 200;
      expect((await keyhold.post(`/v1/integrations/${failing}/activate`, admin.token)).status).toBe(202);
      await app.handshake;
      expect((await keyhold.get(`/v1/integrations/${failing}`, admin.token)).body.status).toBe('active');
    } finally {
      app.callbackStatus = 200;
      await keyhold.stop();
    }
  });
});
