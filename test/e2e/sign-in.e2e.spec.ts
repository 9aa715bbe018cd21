import { randomUUID } from 'node:crypto';
import { expectProblem, KeyholdHarness } from '../support/keyhold-harness';
import { acceptInvitationAndIssueToken, csrfOf, FormBrowser } from '../support/form-browser';
import { everythingStoredUnder, secretsFoundIn } from '../support/secret-scan';

const PASSWORD = 'a long enough password 1';

/**
 * A secret with its first character changed. Not its last: setting the last one to a fixed
 * letter left it unchanged whenever it already was that letter (1 in 64), and the last
 * base64url character also carries bits that no byte holds.
 */
const tampered = (secret: string) => `${secret[0] === 'A' ? 'B' : 'A'}${secret.slice(1)}`;

const expectHtmlPage = (page: { status: number; headers: Headers; text: string }, status: number) => {
  expect(page.status).toBe(status);
  expect(page.headers.get('content-type')).toMatch(/^text\/html; charset=utf-8/);
  expect(page.text).toMatch(/^<!doctype html>\n<html lang="en">/);
  const csp = page.headers.get('content-security-policy') ?? '';
  expect(csp).toContain("default-src 'none'");
  expect(csp).toMatch(/style-src 'nonce-[A-Za-z0-9+/=]+'/);
  expect(csp).toContain("form-action 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(page.headers.get('cache-control')).toBe('no-store');
  expect(page.headers.get('referrer-policy')).toBe('same-origin');
  // No external asset: nothing is loaded from anywhere.
  expect(page.text).not.toMatch(/<(script|link|img)\b/);
};

const sessionCookieLine = (page: { headers: Headers }) => page.headers.getSetCookie().find((line) => line.startsWith('kh_session=')) ?? '';

describe('People sign in: invitations, the sign-in page and sessions', () => {
  let keyhold: KeyholdHarness;
  let admin: Awaited<ReturnType<KeyholdHarness['bootstrap']>>;
  let slug: string;
  const seen: Record<string, string> = {};

  beforeAll(async () => {
    keyhold = await KeyholdHarness.start();
    slug = `signin-${randomUUID().slice(0, 8)}`;
    admin = await keyhold.bootstrap(slug);
  });

  afterAll(async () => {
    await keyhold.stop();
  });

  const invite = async (email: string, role = 'member') => {
    const added = await keyhold.post('/v1/users', admin.token, { email, role });
    expect(added.status).toBe(201);
    return added;
  };

  const signIn = (browser: FormBrowser, fields: Partial<Record<'organisation' | 'email' | 'password' | 'return_to', string>>) =>
    browser.submit('/signin', '/signin', { organisation: slug, password: PASSWORD, email: '', ...fields });

  describe('invitations', () => {
    it('POST /v1/users answers an expiring invitation link, never a token of the user', async () => {
      const added = await invite('ivy@signin.test');
      expect(added.headers.get('cache-control')).toBe('no-store');
      expect(added.body).not.toHaveProperty('initialToken');
      expect(added.text).not.toMatch(/kh_pat_/);
      expect(added.body.invitation.url).toMatch(new RegExp(`^${keyhold.url}/invitations/${added.body.id}/kh_inv_[0-9A-Za-z]{49}$`));
      const expiresIn = Date.parse(added.body.invitation.expiresAt) - Date.now();
      expect(expiresIn).toBeGreaterThan(71 * 3600_000);
      expect(expiresIn).toBeLessThanOrEqual(72 * 3600_000);
      seen['invitation code'] = added.body.invitation.url.split('/').pop();
    });

    it('shows an accessible page naming the user, then sets the password once and signs the user in', async () => {
      const added = await invite('ida@signin.test');
      const url = new URL(added.body.invitation.url);
      const browser = new FormBrowser(keyhold.url);
      const page = await browser.get(url.pathname);
      expectHtmlPage(page, 200);
      expect(page.text).toContain('ida@signin.test');
      expect(page.text).toMatch(/<label for="password">/);
      expect(page.text).toMatch(/<input id="password" name="password" type="password"[^>]*autocomplete="new-password"/);

      const mismatch = await browser.submit(url.pathname, url.pathname, { password: PASSWORD, password_confirmation: `${PASSWORD}x` });
      expectHtmlPage(mismatch, 400);
      expect(mismatch.text).toContain('The two passwords differ.');
      const short = await browser.submit(url.pathname, url.pathname, { password: 'short', password_confirmation: 'short' });
      expectHtmlPage(short, 400);
      expect(short.text).toMatch(/at least 12 characters/);

      const accepted = await browser.submit(url.pathname, url.pathname, { password: PASSWORD, password_confirmation: PASSWORD });
      expect(accepted.status).toBe(303);
      expect(accepted.location).toBe('/account');
      const cookie = sessionCookieLine(accepted);
      expect(cookie).toMatch(/^kh_session=[0-9a-f-]{36}\.kh_ses_[0-9A-Za-z]{49}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=43200$/);
      seen['session secret'] = browser.cookie('kh_session')!.split('.')[1];
      expectHtmlPage(await browser.get('/account'), 200);

      // Single use: the link is gone, and re-issuing is refused once accepted.
      const again = await new FormBrowser(keyhold.url).get(url.pathname);
      expectHtmlPage(again, 410);
      expectProblem(await keyhold.post(`/v1/users/${added.body.id}/invitation`, admin.token), 409, 'invitation-accepted');
      // The password works on the sign-in page.
      const signedIn = await signIn(new FormBrowser(keyhold.url), { email: 'IDA@signin.test' });
      expect(signedIn.status).toBe(303);
    });

    it('re-issuing replaces the link: the older one stops working', async () => {
      const added = await invite('reissued@signin.test');
      const reissued = await keyhold.post(`/v1/users/${added.body.id}/invitation`, admin.token);
      expect(reissued.status).toBe(201);
      expect(reissued.body.url).not.toBe(added.body.invitation.url);
      expectHtmlPage(await new FormBrowser(keyhold.url).get(new URL(added.body.invitation.url).pathname), 410);
      expectHtmlPage(await new FormBrowser(keyhold.url).get(new URL(reissued.body.url).pathname), 200);
    });

    it('refuses wrong, malformed and foreign codes with a 410 page, and other users re-issuing', async () => {
      const added = await invite('wrong@signin.test');
      const [, , userId, code] = new URL(added.body.invitation.url).pathname.split('/');
      const other = await invite('other@signin.test');
      const otherCode = new URL(other.body.invitation.url).pathname.split('/')[3];
      const browser = new FormBrowser(keyhold.url);
      for (const path of [`/invitations/${userId}/${otherCode}`, `/invitations/${userId}/${tampered(code)}`, `/invitations/${userId}/nonsense`, `/invitations/not-a-user/${code}`]) {
        const page = await browser.get(path);
        expectHtmlPage(page, 410);
        expect(page.text).toContain('not valid');
      }
      const member = await keyhold.addUser(admin.token, 'member-reissuer@signin.test', 'member', PASSWORD);
      expectProblem(await keyhold.post(`/v1/users/${added.body.id}/invitation`, member.token), 403, 'forbidden');
      expectProblem(await keyhold.post(`/v1/users/${randomUUID()}/invitation`, admin.token), 404, 'not-found');
      const foreign = await keyhold.bootstrap(`signin-foreign-${randomUUID().slice(0, 6)}`);
      expectProblem(await keyhold.post(`/v1/users/${added.body.id}/invitation`, foreign.token), 404, 'not-found');
    });

    it('refuses a form without the CSRF token, with a forged one, or from another origin', async () => {
      const added = await invite('csrf@signin.test');
      const path = new URL(added.body.invitation.url).pathname;
      const browser = new FormBrowser(keyhold.url);
      const fields = { password: PASSWORD, password_confirmation: PASSWORD };
      const token = csrfOf((await browser.get(path)).text);
      expectHtmlPage(await browser.submit(path, path, fields, { csrf: '' }), 403);
      expectHtmlPage(await browser.submit(path, path, fields, { csrf: tampered(token) }), 403);
      expectHtmlPage(await browser.submit(path, path, fields, { csrf: token, headers: { origin: 'https://evil.example' } }), 403);
      // A token read by another browser (its own cookie) does not fit this one's cookie.
      expectHtmlPage(await new FormBrowser(keyhold.url).submit(path, path, fields, { csrf: token }), 403);
      // Nothing was used up: the right form still works.
      expect((await browser.submit(path, path, fields)).status).toBe(303);
    });
  });

  describe('the sign-in page and sessions', () => {
    let user: { browser: FormBrowser; token: string; id: string };

    beforeAll(async () => {
      const added = await invite('sam@signin.test');
      const accepted = await acceptInvitationAndIssueToken(added.body.invitation.url, PASSWORD);
      user = { ...accepted, id: added.body.id };
    });

    it('serves an accessible sign-in form that chooses the organisation by its short name', async () => {
      const page = await new FormBrowser(keyhold.url).get('/signin');
      expectHtmlPage(page, 200);
      for (const name of ['organisation', 'email', 'password']) expect(page.text).toContain(`<label for="${name}">`);
      expect(page.text).toContain('autocomplete="current-password"');
      const csrfCookie = page.headers.getSetCookie().find((line) => line.startsWith('kh_csrf='));
      expect(csrfCookie).toMatch(/HttpOnly; SameSite=Strict$/);
    });

    it('signs in, rotating the session: the cookie held before stops working', async () => {
      const browser = user.browser;
      const before = browser.cookie('kh_session')!;
      const signedIn = await signIn(browser, { email: 'sam@signin.test', return_to: '/account' });
      expect(signedIn.status).toBe(303);
      expect(signedIn.location).toBe('/account');
      const after = browser.cookie('kh_session')!;
      expect(after).not.toBe(before);
      expect(after.split('.')[0]).not.toBe(before.split('.')[0]);
      const stale = new FormBrowser(keyhold.url);
      stale.setCookie('kh_session', before);
      const refused = await stale.get('/account');
      expect(refused.status).toBe(303);
      expect(refused.location).toBe('/signin?return_to=%2Faccount');
      expect((await browser.get('/account')).status).toBe(200);
    });

    it('never returns to another site after sign-in', async () => {
      for (const returnTo of ['https://evil.example/', '//evil.example/', '/\\evil.example']) {
        const signedIn = await signIn(new FormBrowser(keyhold.url), { email: 'sam@signin.test', return_to: returnTo });
        expect(signedIn.status).toBe(303);
        expect(signedIn.location).toBe('/account');
      }
    });

    it('refuses a wrong password, an unknown e-mail or organisation alike, as audit entries without the password', async () => {
      const attempts = [
        { email: 'sam@signin.test', password: 'not the password at all' },
        { email: 'nobody@signin.test' },
        { email: 'sam@signin.test', organisation: 'no-such-org' },
        { email: 'sam@signin.test', organisation: '../../etc' },
      ];
      for (const attempt of attempts) {
        const page = await signIn(new FormBrowser(keyhold.url), attempt);
        expectHtmlPage(page, 401);
        expect(page.text).toContain('The organisation, e-mail or password is not correct.');
        expect(page.headers.getSetCookie().some((line) => line.startsWith('kh_session='))).toBe(false);
      }
      const audit = keyhold.logs.filter((line) => line.includes('"audit":"sign-in-refused"'));
      expect(audit.length).toBeGreaterThanOrEqual(attempts.length);
      expect(audit.some((line) => line.includes('"reason":"wrong-password"'))).toBe(true);
      expect(audit.some((line) => line.includes('"reason":"unknown-user"'))).toBe(true);
      expect(keyhold.logs.join('\n')).not.toContain('not the password at all');
      expect(keyhold.logs.some((line) => line.includes('"audit":"signed-in"'))).toBe(true);
    });

    it('throttles: after five wrong passwords even the right one is refused, with Retry-After', async () => {
      const added = await invite('throttled@signin.test');
      await acceptInvitationAndIssueToken(added.body.invitation.url, PASSWORD);
      for (let n = 0; n < 5; n += 1) expect((await signIn(new FormBrowser(keyhold.url), { email: 'throttled@signin.test', password: `wrong password ${n}` })).status).toBe(401);
      const throttled = await signIn(new FormBrowser(keyhold.url), { email: 'throttled@signin.test' });
      expectHtmlPage(throttled, 429);
      expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
      // Others are not affected.
      expect((await signIn(new FormBrowser(keyhold.url), { email: 'sam@signin.test' })).status).toBe(303);
    });

    it("lists the user's sessions to the user and to an admin, never their secrets; both can end one", async () => {
      const browser = new FormBrowser(keyhold.url);
      expect((await signIn(browser, { email: 'sam@signin.test' })).status).toBe(303);
      const sessionId = browser.cookie('kh_session')!.split('.')[0];
      const mine = await keyhold.get('/v1/me/sessions?limit=200', user.token);
      expect(mine.status).toBe(200);
      const listed = mine.body.items.find((item: { id: string }) => item.id === sessionId);
      expect(listed).toMatchObject({ id: sessionId, state: 'active', endedAt: null });
      expect(mine.body.items.some((item: { state: string; endReason: string }) => item.state === 'ended' && item.endReason === 'replaced')).toBe(true);
      expect(mine.text).not.toMatch(/kh_ses_|secretHash|hashKeyId/);

      const byAdmin = await keyhold.get(`/v1/users/${user.id}/sessions?limit=200`, admin.token);
      expect(byAdmin.body.items.map((item: { id: string }) => item.id)).toContain(sessionId);

      expect((await keyhold.request('DELETE', `/v1/me/sessions/${sessionId}`, { token: user.token })).status).toBe(204);
      expect((await browser.get('/account')).status).toBe(303);
      expect((await keyhold.get('/v1/me/sessions?limit=200', user.token)).body.items.find((item: { id: string }) => item.id === sessionId)).toMatchObject({
        state: 'ended',
        endReason: 'ended-by-user',
      });

      const second = new FormBrowser(keyhold.url);
      await signIn(second, { email: 'sam@signin.test' });
      const secondId = second.cookie('kh_session')!.split('.')[0];
      expect((await keyhold.request('DELETE', `/v1/users/${user.id}/sessions/${secondId}`, { token: admin.token })).status).toBe(204);
      expect((await second.get('/account')).status).toBe(303);
    });

    it("keeps sessions within their user and tenant", async () => {
      const browser = new FormBrowser(keyhold.url);
      await signIn(browser, { email: 'sam@signin.test' });
      const sessionId = browser.cookie('kh_session')!.split('.')[0];
      const other = await keyhold.addUser(admin.token, 'other-member@signin.test', 'member', PASSWORD);
      expectProblem(await keyhold.request('DELETE', `/v1/me/sessions/${sessionId}`, { token: other.token }), 404, 'not-found');
      expectProblem(await keyhold.get(`/v1/users/${user.id}/sessions`, other.token), 403, 'forbidden');
      const foreign = await keyhold.bootstrap(`signin-other-${randomUUID().slice(0, 6)}`);
      expectProblem(await keyhold.request('DELETE', `/v1/users/${user.id}/sessions/${sessionId}`, { token: foreign.token }), 404, 'not-found');
      expect((await keyhold.get(`/v1/users/${user.id}/sessions`, foreign.token)).body.items).toEqual([]);
      expect((await browser.get('/account')).status).toBe(200);
    });

    it('signs out: the session ends and the cookie is cleared', async () => {
      const browser = new FormBrowser(keyhold.url);
      await signIn(browser, { email: 'sam@signin.test' });
      const cookie = browser.cookie('kh_session')!;
      const out = await browser.submit('/account', '/signout', {});
      expect(out.status).toBe(303);
      expect(out.location).toBe('/signin');
      expect(sessionCookieLine(out)).toMatch(/^kh_session=; .*Max-Age=0/);
      const replay = new FormBrowser(keyhold.url);
      replay.setCookie('kh_session', cookie);
      expect((await replay.get('/account')).status).toBe(303);
    });
  });

  describe('bad input', () => {
    it('answers HTML errors on the pages, problem details on the API, never a 500', async () => {
      const browser = new FormBrowser(keyhold.url);
      const csrf = csrfOf((await browser.get('/signin')).text);
      const cases = [
        await browser.send('POST', '/signin', JSON.stringify({ email: 'x' }), { 'content-type': 'application/json' }),
        await browser.send('POST', '/signin', `csrf=${csrf}&organisation=${'a'.repeat(5000)}&email=x&password=y`, { 'content-type': 'application/x-www-form-urlencoded' }),
        await browser.send('POST', '/signin', `csrf=${csrf}&email=a&email=b`, { 'content-type': 'application/x-www-form-urlencoded' }),
        await browser.send('POST', '/signin', `csrf=${csrf}`, { 'content-type': 'application/x-www-form-urlencoded' }),
        await browser.get('/invitations/%20/%3Cscript%3E'),
        await browser.get(`/signin?return_to=${'x'.repeat(10_000)}`),
      ];
      for (const page of cases) {
        expect(page.status).toBeGreaterThanOrEqual(200);
        expect(page.status).toBeLessThan(500);
        expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      }
      expect(cases.map((page) => page.status)).toEqual([415, 400, 400, 400, 410, 200]);
      // Signed in, a bad token form is refused on the page too.
      await browser.submit('/signin', '/signin', { organisation: slug, email: 'sam@signin.test', password: PASSWORD });
      const badScope = await browser.submit('/account', '/account/tokens', { label: 'x', scope: 'admin' });
      expectHtmlPage(badScope, 400);
      const badLabel = await browser.submit('/account', '/account/tokens', { label: 'tab\there', scope: 'read' });
      expectHtmlPage(badLabel, 400);
      expectProblem(await keyhold.request('DELETE', '/v1/me/sessions/not-a-uuid', { token: admin.token }), 400, 'validation-error');
      expectProblem(await keyhold.get('/v1/me/sessions', 'kh_pat_nonsense'), 401, 'unauthenticated');
    });
  });

  it('stores invitation codes, session secrets and passwords nowhere in clear, nor logs them', async () => {
    expect(Object.keys(seen)).toEqual(expect.arrayContaining(['invitation code', 'session secret']));
    const secrets = { ...seen, password: PASSWORD };
    expect(secretsFoundIn(everythingStoredUnder(keyhold.dataDir), secrets)).toEqual([]);
    expect(secretsFoundIn(keyhold.logs.join('\n'), secrets)).toEqual([]);
    // The scan sees what is stored: the session events (with ids, handles not secrets) are there.
    expect(everythingStoredUnder(keyhold.dataDir).includes('SessionStarted')).toBe(true);
  });
});

describe('Sign-in cookies outside loopback', () => {
  it('are Secure when Keyhold is reached under an https issuer', async () => {
    const keyhold = await KeyholdHarness.start(undefined, { PUBLIC_URL: 'https://keyhold.example' });
    try {
      const page = await new FormBrowser(keyhold.url).get('/signin');
      expect(page.headers.getSetCookie().find((line) => line.startsWith('kh_csrf='))).toMatch(/; Secure$/);
      const admin = await keyhold.bootstrap('secure-cookies');
      const added = await keyhold.post('/v1/users', admin.token, { email: 'sec@secure.test', role: 'member' });
      expect(added.body.invitation.url).toMatch(/^https:\/\/keyhold\.example\/invitations\//);
      const path = new URL(added.body.invitation.url).pathname;
      const browser = new FormBrowser(keyhold.url);
      const accepted = await browser.submit(path, path, { password: PASSWORD, password_confirmation: PASSWORD });
      expect(accepted.status).toBe(303);
      expect(sessionCookieLine(accepted)).toMatch(/; HttpOnly; SameSite=Lax; Secure; Max-Age=43200$/);
    } finally {
      await keyhold.stop();
    }
  });
});
