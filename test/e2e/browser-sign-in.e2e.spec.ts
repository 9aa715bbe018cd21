import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, Page } from 'playwright-core';
import { describeWithChromium, launchChromium } from '../support/chromium';
import { KeyholdHarness } from '../support/keyhold-harness';
import { peopleClient } from '../support/oauth-client';

const SCREENSHOTS = join(__dirname, '..', '..', 'docs', 'screenshots');
const PASSWORD = 'browser flows password 1';
const CALLBACK = 'http://127.0.0.1:9/callback';

describeWithChromium('People sign in, in a real browser (headless Chromium) with a real OAuth client (oauth4webapi)', () => {
  let keyhold: KeyholdHarness;
  let browser: Browser;
  let admin: Awaited<ReturnType<KeyholdHarness['bootstrap']>>;
  let userId: string;
  const slug = 'browser-acme';

  beforeAll(async () => {
    keyhold = await KeyholdHarness.start();
    browser = await launchChromium();
    admin = await keyhold.bootstrap(slug);
    mkdirSync(SCREENSHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await keyhold?.stop();
  });

  /** A fresh browser profile whose navigations to the client apps' callbacks are answered here, as the apps would. */
  const newPage = async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    const isCallback = (url: URL) => url.href.startsWith(`${CALLBACK}?`) || url.href.startsWith(`${keyhold.url}/console/callback?`);
    await page.route(isCallback, (route) => route.fulfill({ status: 200, contentType: 'text/plain', body: 'client received the response' }));
    return { page };
  };

  const signIn = async (page: Page) => {
    await page.getByLabel('Organisation').fill(slug);
    await page.getByLabel('E-mail').fill('robin@browser.test');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
  };

  it('accepts an invitation: the user sets a password on the page and lands signed in', async () => {
    const added = await keyhold.post('/v1/users', admin.token, { email: 'robin@browser.test', role: 'member' });
    userId = added.body.id;
    const { page } = await newPage();
    await page.goto(added.body.invitation.url);
    await page.getByLabel('New password').fill(PASSWORD);
    await page.getByLabel('Repeat the password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Set password and sign in' }).click();
    await page.waitForURL(`${keyhold.url}/account`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Your account');
    const cookies = await page.context().cookies();
    expect(cookies.find((cookie) => cookie.name === 'kh_session')).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    // The page issues a personal token, shown once.
    await page.getByLabel('Label').fill('laptop');
    await page.getByRole('button', { name: 'Issue token' }).click();
    const secret = await page.locator('#token-secret').textContent();
    expect((await keyhold.get('/v1/me', secret!)).body.actor).toEqual({ kind: 'user', id: userId });
  });

  it('signs in to the console (code + PKCE + OpenID Connect), refreshes, and detects reuse', async () => {
    const app = { clientId: 'keyhold-console', redirectUri: `${keyhold.url}/console/callback`, scope: 'openid', oidc: true };
    const started = await peopleClient({ step: 'start', issuer: keyhold.url, ...app });
    const { page } = await newPage();
    await page.goto(started.authorizationUrl);
    await page.waitForURL(/\/signin\?return_to=/);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Sign in to Keyhold');
    await page.screenshot({ path: join(SCREENSHOTS, 'sign-in.png') });
    await signIn(page);
    await page.waitForURL(/\/console\/callback\?/);
    const callback = page.url();

    const redeemed = await peopleClient({ step: 'callback', issuer: keyhold.url, ...app, callbackUrl: callback, state: started.state, verifier: started.verifier, nonce: started.nonce });
    expect(redeemed.ok).toBe(true);
    expect(redeemed.claims).toMatchObject({ iss: keyhold.url, sub: userId, aud: 'keyhold-console', nonce: started.nonce });
    expect((await keyhold.get('/v1/me', redeemed.tokens.access_token)).body.actor).toEqual({ kind: 'user', id: userId });

    const refreshed = await peopleClient({ step: 'refresh', issuer: keyhold.url, ...app, refreshToken: redeemed.tokens.refresh_token });
    expect(refreshed.ok).toBe(true);
    expect((await keyhold.get('/v1/me', refreshed.tokens.access_token)).status).toBe(200);
    const reused = await peopleClient({ step: 'refresh', issuer: keyhold.url, ...app, refreshToken: redeemed.tokens.refresh_token });
    expect(reused).toMatchObject({ ok: false, error: 'invalid_grant' });
    expect((await keyhold.get('/v1/me', refreshed.tokens.access_token)).status).toBe(401);
  });

  it('asks consent for a third-party client, which is refused after the user withdraws it', async () => {
    const created = await keyhold.post('/v1/api-clients', admin.token, { name: 'Weekly report builder' });
    await keyhold.post(`/v1/api-clients/${created.body.id}/redirect-uris`, admin.token, { uri: CALLBACK });
    await keyhold.request('PUT', `/v1/api-clients/${created.body.id}/flows`, {
      token: admin.token,
      json: { requirePkce: true, refreshTokens: true, password: false, clientCredentials: false, clientCredentialsRoles: [] },
    });
    const app = { clientId: created.body.clientId, clientSecret: created.body.clientSecret, redirectUri: CALLBACK, scope: 'openid tokens:read', oidc: true };
    const started = await peopleClient({ step: 'start', issuer: keyhold.url, ...app });
    const { page } = await newPage();
    await page.goto(started.authorizationUrl);
    await signIn(page);
    await page.waitForURL(/\/oauth\/authorize\?/);
    expect(await page.locator('#client-name').textContent()).toBe('Weekly report builder');
    expect(await page.locator('#scopes li').allTextContents()).toEqual(['know who you are (OpenID Connect)', 'tokens:read']);
    await page.screenshot({ path: join(SCREENSHOTS, 'consent.png') });
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(/127\.0\.0\.1:9\/callback\?/);
    const callback = page.url();

    const redeemed = await peopleClient({ step: 'callback', issuer: keyhold.url, ...app, callbackUrl: callback, state: started.state, verifier: started.verifier, nonce: started.nonce });
    expect(redeemed.ok).toBe(true);
    expect(redeemed.claims).toMatchObject({ sub: userId, aud: created.body.clientId });
    const me = await keyhold.get('/v1/me', redeemed.tokens.access_token);
    expect(me.body.permissions).toEqual(['tokens:read']);

    const personal = await keyhold.post('/v1/tokens', redeemed.tokens.access_token, { label: 'x', scope: 'read' });
    expect(personal.status).toBe(403);

    // The admin never granted this client anything: nothing to withdraw.
    expect((await keyhold.request('DELETE', `/v1/me/grants/${created.body.clientId}`, { token: admin.token })).status).toBe(404);
    // The user withdraws (here with the access token they hold; any of their credentials would do).
    expect((await keyhold.request('DELETE', `/v1/me/grants/${created.body.clientId}`, { token: redeemed.tokens.access_token })).status).toBe(204);
    expect((await keyhold.get('/v1/me', redeemed.tokens.access_token)).status).toBe(401);
    expect(await peopleClient({ step: 'refresh', issuer: keyhold.url, ...app, refreshToken: redeemed.tokens.refresh_token })).toMatchObject({ ok: false, error: 'invalid_grant' });
  });
});
