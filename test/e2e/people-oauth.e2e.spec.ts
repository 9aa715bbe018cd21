import { randomUUID } from 'node:crypto';
import { expectProblem, KeyholdHarness } from '../support/keyhold-harness';
import { FormBrowser } from '../support/form-browser';
import { peopleClient } from '../support/oauth-client';
import { everythingStoredUnder, secretsFoundIn } from '../support/secret-scan';

const PASSWORD = 'people flows password 1';
const CALLBACK = 'http://127.0.0.1:9/callback';
const OFF = { requirePkce: false, refreshTokens: false, password: false, clientCredentials: false, clientCredentialsRoles: [] as string[] };

describe('OAuth 2.0 for people: authorization code + PKCE, consent, refresh, password (oauth4webapi)', () => {
  let keyhold: KeyholdHarness;
  let admin: Awaited<ReturnType<KeyholdHarness['bootstrap']>>;
  let slug: string;
  let member: { id: string; token: string };
  const seen: Record<string, string> = {};

  beforeAll(async () => {
    keyhold = await KeyholdHarness.start();
    slug = `people-${randomUUID().slice(0, 8)}`;
    admin = await keyhold.bootstrap(slug);
    const added = await keyhold.addUser(admin.token, 'pat@people.test', 'member', PASSWORD);
    member = { id: added.added.body.id, token: added.token };
  });

  afterAll(async () => {
    await keyhold.stop();
  });

  const signedIn = async (email = 'pat@people.test', organisation = slug) => {
    const browser = new FormBrowser(keyhold.url);
    const page = await browser.submit('/signin', '/signin', { organisation, email, password: PASSWORD });
    expect(page.status).toBe(303);
    return browser;
  };

  const createClient = async (flows: Partial<typeof OFF> = {}, token = admin.token, uri = CALLBACK) => {
    const created = await keyhold.post('/v1/api-clients', token, { name: 'Report builder' });
    expect(created.status).toBe(201);
    expect((await keyhold.post(`/v1/api-clients/${created.body.id}/redirect-uris`, token, { uri })).status).toBeLessThan(300);
    expect((await keyhold.request('PUT', `/v1/api-clients/${created.body.id}/flows`, { token, json: { ...OFF, ...flows } })).status).toBe(200);
    return created.body as { id: string; clientId: string; clientSecret: string };
  };

  /** The client starts, the browser follows Keyhold's redirects (signing in, consenting) to the callback. */
  const authorize = async (browser: FormBrowser, client: { clientId: string; redirectUri: string; scope?: string }, consent: 'allow' | 'deny' | 'none' = 'none') => {
    const started = await peopleClient({ step: 'start', issuer: keyhold.url, ...client });
    expect(started.ok).toBe(true);
    let page = await browser.get(started.authorizationUrl);
    if (page.status === 200 && consent !== 'none') {
      expect(page.text).toContain('Report builder');
      page = await browser.submit(new URL(started.authorizationUrl).pathname + new URL(started.authorizationUrl).search, '/oauth/authorize', {
        ...Object.fromEntries([...page.text.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((match) => [match[1], match[2].replace(/&amp;/g, '&')])),
        decision: consent,
      });
    }
    return { started, page };
  };

  const redeem = (client: { clientId: string; clientSecret?: string; redirectUri: string }, started: { state: string; verifier: string }, callbackUrl: string) =>
    peopleClient({ step: 'callback', issuer: keyhold.url, ...client, callbackUrl, state: started.state, verifier: started.verifier });

  const consoleClient = () => ({ clientId: 'keyhold-console', redirectUri: `${keyhold.url}/console/callback` });

  describe('the console (built-in public client)', () => {
    it('signs in, gets a code with state and iss, redeems it with PKCE; the token works on the REST API and introspection', async () => {
      const browser = new FormBrowser(keyhold.url);
      const { started, page } = await authorize(browser, consoleClient());
      expect(page.status).toBe(303);
      expect(page.location).toMatch(/^\/signin\?return_to=%2Foauth%2Fauthorize%3F/);
      const afterSignIn = await browser.submit(page.location!, '/signin', {
        organisation: slug,
        email: 'pat@people.test',
        password: PASSWORD,
        return_to: decodeURIComponent(page.location!.split('return_to=')[1]),
      });
      expect(afterSignIn.status).toBe(303);
      const callback = await browser.get(afterSignIn.location!);
      expect(callback.status).toBe(303);
      const location = new URL(callback.location!);
      expect(`${location.origin}${location.pathname}`).toBe(`${keyhold.url}/console/callback`);
      expect(location.searchParams.get('state')).toBe(started.state);
      expect(location.searchParams.get('iss')).toBe(keyhold.url);
      expect(location.searchParams.get('code')).toMatch(/^[0-9a-f-]{36}\.kh_ac_[0-9A-Za-z]{49}$/);
      seen.code = location.searchParams.get('code')!.split('.')[1];

      const redeemed = await redeem(consoleClient(), started, callback.location!);
      expect(redeemed.ok).toBe(true);
      expect(redeemed.tokens).toMatchObject({ token_type: 'bearer', expires_in: 900 });
      expect(redeemed.tokens.access_token).toMatch(/^kh_uat_/);
      expect(redeemed.tokens.refresh_token).toMatch(/^[0-9a-f-]{36}\.kh_rt_/);
      seen.access = redeemed.tokens.access_token;
      seen.refresh = redeemed.tokens.refresh_token.split('.')[1];

      const me = await keyhold.get('/v1/me', redeemed.tokens.access_token);
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ actor: { kind: 'user', id: member.id }, credential: { kind: 'userAccessToken' } });
      expect(me.body.permissions).toEqual(['tokens:read', 'tokens:write']);
      const introspected = await keyhold.request('POST', '/oauth/introspect', { token: admin.token, form: { token: redeemed.tokens.access_token } });
      // RFC 7662 §2.2: client_id names the client that asked for the token, here the console.
      expect(introspected.body).toMatchObject({ active: true, sub: member.id, tenant_id: admin.tenantId, actor_kind: 'user', client_id: 'keyhold-console' });
    });

    it('rotates refresh tokens; reusing a rotated one revokes the whole family', async () => {
      const browser = await signedIn();
      const { started, page } = await authorize(browser, consoleClient());
      const first = await redeem(consoleClient(), started, page.location!);
      const second = await peopleClient({ step: 'refresh', issuer: keyhold.url, ...consoleClient(), refreshToken: first.tokens.refresh_token });
      expect(second.ok).toBe(true);
      expect(second.tokens.refresh_token).not.toBe(first.tokens.refresh_token);
      expect(second.tokens.access_token).not.toBe(first.tokens.access_token);
      expect((await keyhold.get('/v1/me', second.tokens.access_token)).status).toBe(200);

      const reused = await peopleClient({ step: 'refresh', issuer: keyhold.url, ...consoleClient(), refreshToken: first.tokens.refresh_token });
      expect(reused).toMatchObject({ ok: false, status: 400, error: 'invalid_grant' });
      // The thief's and the owner's tokens alike: the family is gone.
      expect((await keyhold.get('/v1/me', second.tokens.access_token)).status).toBe(401);
      expect((await keyhold.get('/v1/me', first.tokens.access_token)).status).toBe(401);
      expect(await peopleClient({ step: 'refresh', issuer: keyhold.url, ...consoleClient(), refreshToken: second.tokens.refresh_token })).toMatchObject({ ok: false, error: 'invalid_grant' });
      const types = (await keyhold.events()).map((event) => event.type);
      expect(types).toEqual(expect.arrayContaining(['UserTokensIssued', 'RefreshTokenReused', 'UserTokensRevoked']));
    });

    it('revokes a refresh token the console gives up (RFC 7009, public client: client_id only), its family with it; another client cannot', async () => {
      const browser = await signedIn();
      const { started, page } = await authorize(browser, consoleClient());
      const { tokens } = await redeem(consoleClient(), started, page.location!);
      const revoke = (form: Record<string, string>) => keyhold.request('POST', '/oauth/revoke', { form: { token: tokens.refresh_token, ...form } });
      const refresh = () => peopleClient({ step: 'refresh', issuer: keyhold.url, ...consoleClient(), refreshToken: tokens.refresh_token });
      // A machine client holding the console's refresh token revokes nothing: it is not its own.
      const machine = await createClient();
      expect((await revoke({ client_id: machine.clientId, client_secret: machine.clientSecret })).status).toBe(200);
      // Nor does anyone who names the console but brings a secret it does not have, or no client at all.
      expect((await revoke({ client_id: 'keyhold-console', client_secret: 'guess' })).body.error).toBe('invalid_client');
      expect((await revoke({})).body.error).toBe('invalid_client');
      expect((await keyhold.get('/v1/me', tokens.access_token)).status).toBe(200);

      const before = (await keyhold.events()).length;
      expect(await revoke({ client_id: 'keyhold-console', token_type_hint: 'refresh_token' })).toMatchObject({ status: 200, body: {} });
      const revoked = (await keyhold.events()).slice(before);
      expect(revoked.map((event) => [event.type, (event.data as { reason: string }).reason])).toEqual([['UserTokensRevoked', 'revoked-by-client']]);
      expect(await refresh()).toMatchObject({ ok: false, status: 400, error: 'invalid_grant' });
      expect((await keyhold.get('/v1/me', tokens.access_token)).status).toBe(401);
      // Again, or a token that is no refresh token: 200 and nothing more in the log.
      expect((await revoke({ client_id: 'keyhold-console' })).status).toBe(200);
      expect((await revoke({ client_id: 'keyhold-console', token: `${randomUUID()}.kh_rt_${'A'.repeat(43)}` })).status).toBe(200);
      expect((await revoke({ client_id: 'keyhold-console', token: 'nonsense' })).status).toBe(200);
      expect((await keyhold.events()).length).toBe(before + revoked.length);
    });

    it('refuses a replayed code and revokes every token issued from it', async () => {
      const browser = await signedIn();
      const { started, page } = await authorize(browser, consoleClient());
      const first = await redeem(consoleClient(), started, page.location!);
      expect(first.ok).toBe(true);
      const replayed = await redeem(consoleClient(), started, page.location!);
      expect(replayed).toMatchObject({ ok: false, error: 'invalid_grant' });
      expect((await keyhold.get('/v1/me', first.tokens.access_token)).status).toBe(401);
      expect((await keyhold.events()).some((event) => event.type === 'AuthorizationCodeReplayed')).toBe(true);
    });

    it('narrows tokens at once when the user is demoted', async () => {
      const added = await keyhold.addUser(admin.token, 'second-admin@people.test', 'admin', PASSWORD);
      const browser = await signedIn('second-admin@people.test');
      const { started, page } = await authorize(browser, consoleClient());
      const { tokens } = await redeem(consoleClient(), started, page.location!);
      expect((await keyhold.get('/v1/users', tokens.access_token)).status).toBe(200);
      expect((await keyhold.request('PUT', `/v1/users/${added.added.body.id}/role`, { token: admin.token, json: { role: 'member' } })).status).toBe(200);
      expectProblem(await keyhold.get('/v1/users', tokens.access_token), 403, 'forbidden');
    });

    it('refuses a missing or plain PKCE challenge, back at the redirect URI with state and iss', async () => {
      const browser = await signedIn();
      const base = `/oauth/authorize?client_id=keyhold-console&redirect_uri=${encodeURIComponent(`${keyhold.url}/console/callback`)}&response_type=code&state=xyz`;
      for (const extra of ['', '&code_challenge=abc&code_challenge_method=plain', `&code_challenge=${'a'.repeat(43)}`]) {
        const page = await browser.get(base + extra);
        expect(page.status).toBe(303);
        const location = new URL(page.location!);
        expect(location.searchParams.get('error')).toBe('invalid_request');
        expect(location.searchParams.get('state')).toBe('xyz');
        expect(location.searchParams.get('iss')).toBe(keyhold.url);
        expect(location.searchParams.get('code')).toBeNull();
      }
      const implicit = await browser.get(base.replace('response_type=code', 'response_type=token') + `&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256`);
      expect(new URL(implicit.location!).searchParams.get('error')).toBe('unsupported_response_type');
      const badScope = await browser.get(`${base}&scope=everything&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256`);
      expect(new URL(badScope.location!).searchParams.get('error')).toBe('invalid_scope');
    });

    it('shows an error page, never a redirect, for an unknown client or a redirect URI that is not registered', async () => {
      const browser = await signedIn();
      for (const path of [
        `/oauth/authorize?client_id=keyhold-console&redirect_uri=${encodeURIComponent('https://evil.example/cb')}&response_type=code`,
        `/oauth/authorize?client_id=keyhold-console&redirect_uri=${encodeURIComponent(`${keyhold.url}/console/callback/`)}&response_type=code`,
        `/oauth/authorize?client_id=${randomUUID()}&redirect_uri=${encodeURIComponent(CALLBACK)}&response_type=code`,
        `/oauth/authorize?client_id=nope&response_type=code`,
        `/oauth/authorize`,
        `/oauth/authorize?client_id=keyhold-console&client_id=keyhold-console&response_type=code`,
      ]) {
        const page = await browser.get(path);
        expect(page.status).toBe(400);
        expect(page.location).toBeNull();
        expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      }
    });
  });

  describe('OpenID Connect', () => {
    it('issues an ID token with the nonce, signed with a published ES256 key; userinfo names the user', async () => {
      const browser = await signedIn();
      const app = { ...consoleClient(), scope: 'openid', oidc: true };
      const started = await peopleClient({ step: 'start', issuer: keyhold.url, ...app });
      expect(started.ok).toBe(true);
      expect(started.nonce).toBeTruthy();
      const page = await browser.get(started.authorizationUrl);
      const redeemed = await peopleClient({ step: 'callback', issuer: keyhold.url, ...app, callbackUrl: page.location!, state: started.state, verifier: started.verifier, nonce: started.nonce });
      expect(redeemed.ok).toBe(true);
      expect(redeemed.claims).toMatchObject({ iss: keyhold.url, sub: member.id, aud: 'keyhold-console', nonce: started.nonce, tenant_id: admin.tenantId });
      // Full rights: asking only for openid does not narrow the token's permissions.
      expect((await keyhold.get('/v1/me', redeemed.tokens.access_token)).body.permissions).toEqual(['tokens:read', 'tokens:write']);

      const { createRemoteJWKSet, jwtVerify, decodeProtectedHeader } = await import('jose');
      const verified = await jwtVerify(redeemed.tokens.id_token, createRemoteJWKSet(new URL(`${keyhold.url}/oauth/jwks`)), { issuer: keyhold.url, audience: 'keyhold-console' });
      expect(decodeProtectedHeader(redeemed.tokens.id_token).alg).toBe('ES256');
      expect(verified.payload.sub).toBe(member.id);
      const jwks = await keyhold.get('/oauth/jwks');
      expect(jwks.body.keys).toHaveLength(1);
      expect(jwks.body.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
      expect(jwks.body.keys[0]).not.toHaveProperty('d');

      const userinfo = await peopleClient({ step: 'userinfo', issuer: keyhold.url, ...app, accessToken: redeemed.tokens.access_token, subject: member.id });
      expect(userinfo).toMatchObject({ ok: true, userinfo: { sub: member.id, email: 'pat@people.test', tenant_id: admin.tenantId } });
      const withoutOpenid = await keyhold.get('/oauth/userinfo', member.token);
      expect(withoutOpenid.status).toBe(403);
      expect(withoutOpenid.body.error).toBe('insufficient_scope');

      const refreshed = await peopleClient({ step: 'refresh', issuer: keyhold.url, ...app, refreshToken: redeemed.tokens.refresh_token });
      expect(refreshed.ok).toBe(true);
      const signingEvents = (await keyhold.events()).filter((event) => event.type === 'SigningKeyAdded');
      expect(signingEvents).toHaveLength(1);
      expect(JSON.stringify(signingEvents[0].data)).not.toMatch(/"d":/);
      expect(signingEvents[0].data).toMatchObject({ alg: 'ES256', privateKey: { alg: 'A256GCM' } });
    });

    it('publishes OpenID discovery metadata', async () => {
      const discovery = await keyhold.get('/.well-known/openid-configuration');
      expect(discovery.body).toMatchObject({
        issuer: keyhold.url,
        authorization_endpoint: `${keyhold.url}/oauth/authorize`,
        jwks_uri: `${keyhold.url}/oauth/jwks`,
        userinfo_endpoint: `${keyhold.url}/oauth/userinfo`,
        id_token_signing_alg_values_supported: ['ES256'],
        subject_types_supported: ['public'],
      });
      expect(discovery.body.scopes_supported).toContain('openid');
    });
  });

  describe('third-party API clients', () => {
    it('asks consent naming the client and scopes, remembers it, and withdrawing revokes the tokens', async () => {
      const client = await createClient({ refreshTokens: true });
      const app = { clientId: client.clientId, clientSecret: client.clientSecret, redirectUri: CALLBACK, scope: 'tokens:read' };
      const started = await peopleClient({ step: 'start', issuer: keyhold.url, ...app });
      // Signing in on the way: the sign-in form may lead (by redirects) to the client's origin.
      const toSignIn = await new FormBrowser(keyhold.url).get(started.authorizationUrl);
      expect(toSignIn.location).toMatch(new RegExp(`&organisation=${slug}$`));
      const signInPage = await new FormBrowser(keyhold.url).get(toSignIn.location!);
      expect(signInPage.headers.get('content-security-policy')).toContain("form-action 'self' http://127.0.0.1:9;");
      expect(signInPage.text).toContain(`value="${slug}"`);
      const browser = await signedIn();
      const consentPage = await browser.get(started.authorizationUrl);
      expect(consentPage.status).toBe(200);
      expect(consentPage.text).toContain('<span id="client-name">Report builder</span>');
      expect(consentPage.text).toContain('<li>tokens:read</li>');
      expect(consentPage.headers.get('content-security-policy')).toContain("form-action 'self' http://127.0.0.1:9");

      const { started: second, page } = await authorize(browser, app, 'allow');
      expect(page.status).toBe(303);
      const redeemed = await redeem(app, second, page.location!);
      expect(redeemed.ok).toBe(true);
      expect(redeemed.tokens.scope).toBe('tokens:read');
      expect((await keyhold.get('/v1/me', redeemed.tokens.access_token)).body.permissions).toEqual(['tokens:read']);
      const introspected = await keyhold.request('POST', '/oauth/introspect', { token: admin.token, form: { token: redeemed.tokens.access_token } });
      expect(introspected.body).toMatchObject({ active: true, sub: member.id, client_id: client.clientId });

      // Remembered: no consent page the next time.
      const again = await authorize(browser, app);
      expect(again.page.status).toBe(303);
      expect(new URL(again.page.location!).searchParams.get('code')).not.toBeNull();

      expect((await keyhold.request('DELETE', `/v1/me/grants/${client.clientId}`, { token: member.token })).status).toBe(204);
      expect((await keyhold.get('/v1/me', redeemed.tokens.access_token)).status).toBe(401);
      expect(await peopleClient({ step: 'refresh', issuer: keyhold.url, ...app, refreshToken: redeemed.tokens.refresh_token })).toMatchObject({ ok: false, error: 'invalid_grant' });
      const afterWithdrawal = await browser.get((await peopleClient({ step: 'start', issuer: keyhold.url, ...app })).authorizationUrl);
      expect(afterWithdrawal.status).toBe(200);
      expect((await keyhold.events()).some((event) => event.type === 'ConsentWithdrawn')).toBe(true);

      // Auditors see the grant's history and its state at any instant, without a hash or a token.
      const grant = (await keyhold.events()).find((event) => event.type === 'ConsentGranted' && (event.data as { clientId: string }).clientId === client.clientId)!;
      const grantId = (grant.data as { grantId: string }).grantId;
      const history = await keyhold.get(`/v1/history?kind=user_grant&id=${grantId}&limit=200`, admin.token);
      expect(history.status).toBe(200);
      const types = history.body.items.map((entry: { type: string }) => entry.type);
      expect(types).toEqual(expect.arrayContaining(['ConsentGranted', 'AuthorizationCodeIssued', 'UserTokensIssued', 'ConsentWithdrawn', 'UserTokensRevoked']));
      expect(history.text).not.toMatch(/kh_(ac|rt|uat)_|Hash|hashKeyId/);
      const before = await keyhold.get(`/v1/history/state?kind=user_grant&id=${grantId}&at=${encodeURIComponent(grant.metadata.occurredAt)}`, admin.token);
      expect(before.body.state).toMatchObject({ userId: member.id, clientId: client.clientId, consent: ['tokens:read'] });
      const now = await keyhold.get(`/v1/history/state?kind=user_grant&id=${grantId}`, admin.token);
      expect(now.body.state.consent).toBeNull();
      expect(now.body.state.families.every((family: { status: string }) => family.status === 'revoked')).toBe(true);
      expect(now.text).not.toMatch(/kh_(ac|rt|uat)_|Hash|hashKeyId/);
      expectProblem(await keyhold.request('DELETE', `/v1/me/grants/${randomUUID()}`, { token: member.token }), 404, 'not-found');
    });

    it('sends a denial back as access_denied, and gives no refresh token unless the client allows them', async () => {
      const client = await createClient();
      const app = { clientId: client.clientId, clientSecret: client.clientSecret, redirectUri: CALLBACK };
      const browser = await signedIn();
      const denied = await authorize(browser, app, 'deny');
      expect(new URL(denied.page.location!).searchParams.get('error')).toBe('access_denied');
      const allowed = await authorize(browser, app, 'allow');
      const redeemed = await redeem(app, allowed.started, allowed.page.location!);
      expect(redeemed.ok).toBe(true);
      expect(redeemed.tokens.refresh_token).toBeUndefined();
      const refresh = await keyhold.request('POST', '/oauth/token', {
        form: { grant_type: 'refresh_token', refresh_token: 'x' },
        headers: { authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}` },
      });
      expect(refresh.body.error).toBe('unauthorized_client');
    });

    it("refuses a client of another tenant: the user's session is not theirs", async () => {
      const other = await keyhold.bootstrap(`people-other-${randomUUID().slice(0, 6)}`);
      const foreign = await createClient({}, other.token);
      const browser = await signedIn();
      const { page } = await authorize(browser, { clientId: foreign.clientId, redirectUri: CALLBACK });
      expect(page.status).toBe(303);
      expect(new URL(page.location!).searchParams.get('error')).toBe('access_denied');
    });

    it('refuses a code redeemed with another redirect URI, another verifier, or by another client', async () => {
      const client = await createClient();
      const app = { clientId: client.clientId, clientSecret: client.clientSecret, redirectUri: CALLBACK };
      const browser = await signedIn();
      const allowed = await authorize(browser, app, 'allow');
      const code = new URL(allowed.page.location!).searchParams.get('code')!;
      const tokenWith = (form: Record<string, string>, id = client.clientId, secret = client.clientSecret) =>
        keyhold.request('POST', '/oauth/token', { form: { grant_type: 'authorization_code', code, ...form }, headers: { authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` } });
      expect((await tokenWith({ redirect_uri: 'http://127.0.0.1:9/other', code_verifier: allowed.started.verifier })).body.error).toBe('invalid_grant');
      expect((await tokenWith({ redirect_uri: CALLBACK, code_verifier: 'b'.repeat(43) })).body.error).toBe('invalid_grant');
      expect((await tokenWith({ redirect_uri: CALLBACK })).body.error).toBe('invalid_grant');
      expect((await tokenWith({ redirect_uri: CALLBACK, code_verifier: 'short' })).body.error).toBe('invalid_request');
      const other = await createClient();
      expect((await tokenWith({ redirect_uri: CALLBACK, code_verifier: allowed.started.verifier }, other.clientId, other.clientSecret)).body.error).toBe('invalid_grant');
      // Still unused after all those refusals: the right request works.
      const ok = await tokenWith({ redirect_uri: CALLBACK, code_verifier: allowed.started.verifier });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('cache-control')).toBe('no-store');
    });
  });

  describe('password grant', () => {
    const passwordGrant = (client: { clientId: string; clientSecret: string }, form: Record<string, string>) =>
      keyhold.request('POST', '/oauth/token', {
        form: { grant_type: 'password', ...form },
        headers: { authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}` },
      });

    it('never lets an app mint a personal token wider than its own grant', async () => {
      const client = await createClient({ password: true });
      await keyhold.addUser(admin.token, 'narrow-admin@people.test', 'admin', PASSWORD);
      const grantOf = async (username: string, scope: string) => (await passwordGrant(client, { username, password: PASSWORD, scope })).body.access_token as string;
      const adminApp = await grantOf('narrow-admin@people.test', 'tokens:read tokens:write');
      expectProblem(await keyhold.post('/v1/tokens', adminApp, { label: 'wider', scope: 'read_write' }), 403, 'forbidden');
      expectProblem(await keyhold.post('/v1/tokens', adminApp, { label: 'wider read', scope: 'read' }), 403, 'forbidden');
      const writeOnly = await grantOf('pat@people.test', 'tokens:write');
      expectProblem(await keyhold.post('/v1/tokens', writeOnly, { label: 'wider', scope: 'read_write' }), 403, 'forbidden');
      // Within the grant: a member's app holding both token permissions holds all a member's token carries.
      const memberApp = await grantOf('pat@people.test', 'tokens:read tokens:write');
      expect((await keyhold.post('/v1/tokens', memberApp, { label: 'from app', scope: 'read_write' })).status).toBe(201);
      // The console holds the user's full rights, so it may mint any of the user's tokens.
      const full = await grantOf('narrow-admin@people.test', 'openid');
      expect((await keyhold.post('/v1/tokens', full, { label: 'from console-like grant', scope: 'read_write' })).status).toBe(201);
    });

    it('is refused unless the client allows it', async () => {
      const client = await createClient();
      const refused = await passwordGrant(client, { username: 'pat@people.test', password: PASSWORD });
      expect(refused.status).toBe(400);
      expect(refused.body.error).toBe('unauthorized_client');
    });

    it("issues the user's rights within the client's tenant only, and throttles guesses", async () => {
      const client = await createClient({ password: true });
      const ok = await passwordGrant(client, { username: 'pat@people.test', password: PASSWORD, scope: 'tokens:read' });
      expect(ok.status).toBe(200);
      expect((await keyhold.get('/v1/me', ok.body.access_token)).body.permissions).toEqual(['tokens:read']);
      expect((await passwordGrant(client, { username: admin.userId, password: PASSWORD })).body.error).toBe('invalid_grant');
      const other = await keyhold.bootstrap(`people-pw-${randomUUID().slice(0, 6)}`);
      const foreign = await createClient({ password: true }, other.token);
      expect((await passwordGrant(foreign, { username: 'pat@people.test', password: PASSWORD })).body.error).toBe('invalid_grant');
      expect((await passwordGrant(client, { username: 'pat@people.test' })).body.error).toBe('invalid_request');

      await keyhold.addUser(admin.token, 'guessed@people.test', 'member', PASSWORD);
      for (let n = 0; n < 5; n += 1) expect((await passwordGrant(client, { username: 'guessed@people.test', password: `wrong ${n}` })).body.error).toBe('invalid_grant');
      const throttled = await passwordGrant(client, { username: 'guessed@people.test', password: PASSWORD });
      expect(throttled.status).toBe(429);
      expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
    });
  });

  it('answers bad input on the new endpoints with clear errors, never a 500', async () => {
    const browser = await signedIn();
    const form = (body: string, path = '/oauth/token', headers: Record<string, string> = {}) =>
      keyhold.request('POST', path, { body, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
    const tokenCases = [
      'grant_type=authorization_code&client_id=keyhold-console&code=nonsense',
      'grant_type=authorization_code&client_id=keyhold-console&code=' + `${randomUUID()}.kh_ac_${'A'.repeat(49)}`,
      `grant_type=authorization_code&client_id=keyhold-console&code=${randomUUID()}.x.y`,
      'grant_type=refresh_token&client_id=keyhold-console&refresh_token=%00%ff',
      `grant_type=refresh_token&client_id=keyhold-console&refresh_token=${'x'.repeat(2049)}`,
      'grant_type=password&client_id=keyhold-console&username=a&password=b',
      'grant_type=authorization_code&client_id=keyhold-console',
      'grant_type=authorization_code&client_id=keyhold-console&code=a&code=b',
      'grant_type=implicit&client_id=keyhold-console',
    ];
    for (const body of tokenCases) {
      const answer = await form(body);
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
      expect(typeof answer.body.error).toBe('string');
    }
    for (const body of ['', 'decision=allow', 'csrf=x&decision=allow&client_id=keyhold-console', `client_id=${'%ff'.repeat(50)}`]) {
      const answer = await browser.send('POST', '/oauth/authorize', body, { 'content-type': 'application/x-www-form-urlencoded' });
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
      expect(answer.headers.get('content-type')).toMatch(/^text\/html/);
    }
    for (const query of ['?client_id[]=x', `?client_id=${'a'.repeat(5000)}`, '?client_id=keyhold-console&redirect_uri=%3Ajunk', '?state=%00']) {
      const answer = await browser.get(`/oauth/authorize${query}`);
      expect(answer.status).toBe(400);
      expect(answer.headers.get('content-type')).toMatch(/^text\/html/);
    }
    expect((await keyhold.request('DELETE', '/v1/me/grants/not-a-client', { token: member.token })).status).toBe(400);
    expect((await keyhold.get('/oauth/userinfo')).status).toBe(401);
  });

  it('publishes metadata listing exactly what works', async () => {
    const metadata = await keyhold.get('/.well-known/oauth-authorization-server');
    expect(metadata.body).toMatchObject({
      authorization_endpoint: `${keyhold.url}/oauth/authorize`,
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
      grant_types_supported: ['client_credentials', 'authorization_code', 'refresh_token', 'password'],
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    });
  });

  it('keeps codes, refresh tokens and access tokens out of storage and logs', async () => {
    expect(Object.keys(seen)).toEqual(expect.arrayContaining(['code', 'access', 'refresh']));
    expect(secretsFoundIn(everythingStoredUnder(keyhold.dataDir), seen)).toEqual([]);
    expect(secretsFoundIn(keyhold.logs.join('\n'), seen)).toEqual([]);
  });
});
