import { browserStorage, describeInChromium, expectAttribute, expectCount, expectFocused, expectNoText, expectText, screenshot, shownSecrets, openDialog } from '../../support/console-browser';

describeInChromium('console: personal API tokens (seed 001)', 'acme', (suite) => {

  it('serves the console with a strict CSP, index.html revalidated and hashed assets cached for a year', async () => {
    const index = await suite.console.keyhold.get('/console/tokens');
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/^text\/html/);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const csp = index.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(index.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const asset = index.text.match(/\/console\/assets\/[^"]+\.js/)![0];
    const script = await suite.console.keyhold.get(asset);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(script.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const missing = await suite.console.keyhold.get('/console/assets/..%2f..%2fpackage.json');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('signs in with an API token, refuses a wrong one with the API’s error, never a blank page', async () => {
    const { page, context } = await suite.console.page();
    await page.goto(`${suite.console.keyhold.url}/console/`);
    await page.getByLabel('Personal API token').fill('kh_pat_not-a-real-token');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expectText(page.getByRole('alert').first(), /token|credential|authenticat/i);
    await context.close();
  });

  it('signs in with Keyhold (authorization code + PKCE S256) where the server offers it, and says plainly where it does not', async () => {
    const metadata = await suite.console.keyhold.get('/.well-known/oauth-authorization-server');
    const { page, context, errors } = await suite.console.page();
    const requested: URL[] = [];
    page.on('request', (request) => requested.push(new URL(request.url())));
    await page.goto(`${suite.console.keyhold.url}/console/`);
    await page.getByRole('button', { name: 'Sign in with Keyhold' }).click();
    if (!metadata.body.authorization_endpoint) {
      await expectText(page.getByRole('alert'), 'does not offer sign-in with Keyhold yet');
    } else {
      // Where people sign in (issue 15): Keyhold's own page, then back to the console, signed in.
      const password = 'console sign-in password';
      expect((await suite.console.keyhold.request('PUT', '/v1/me/password', { token: suite.admin.token, json: { newPassword: password } })).status).toBe(204);
      await page.getByLabel('Organisation').waitFor();
      const authorize = requested.find((url) => url.pathname === new URL(metadata.body.authorization_endpoint).pathname)!;
      expect(authorize.searchParams.get('client_id')).toBe('keyhold-console');
      expect(authorize.searchParams.get('redirect_uri')).toBe(`${suite.console.keyhold.url}/console/callback`);
      expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
      expect(authorize.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      await page.getByLabel('Organisation').fill('acme');
      await page.getByLabel('E-mail').fill('admin@acme.test');
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('navigation', { name: 'Console' }).waitFor();
      expect(new URL(page.url()).pathname).toBe('/console/');
      await page.getByRole('link', { name: 'My account' }).click();
      await expectText(page.getByRole('main'), 'Keyhold sign-in');
      // The browser session that sign-in opened, ended from the console.
      const sessions = page.getByRole('article', { name: 'Your sessions' });
      const end = sessions.getByRole('button', { name: /^End the session/ });
      await expectCount(end, 1);
      await end.click();
      await page.getByRole('dialog', { name: 'End this session?' }).getByRole('button', { name: 'End session' }).click();
      await expectText(sessions, 'ended');
      expect((await suite.console.keyhold.get('/v1/me/sessions', suite.admin.token)).body.items.map((browser: { state: string }) => browser.state)).toEqual(['ended']);
      expect(await browserStorage(page)).not.toMatch(/kh_[a-z]+_/);
    }
    expect(errors).toEqual([]);
    await context.close();
  });

  it('takes a code arriving at /console/callback out of the address bar, and refuses it without the sign-in this tab started', async () => {
    const { page, context, errors } = await suite.console.page();
    await page.goto(`${suite.console.keyhold.url}/console/callback?code=stolen-code&state=forged`);
    await expectText(page.getByRole('alert'), 'not started from this tab');
    expect(new URL(page.url()).pathname).toBe('/console/');
    expect(page.url()).not.toContain('stolen-code');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('creates a token shown once, lists it, and revokes it for good: introspection refuses it', async () => {
    const { page, context, errors } = await suite.console.signedIn(suite.admin.token, 'tokens');
    await expectFocused(page.getByRole('heading', { level: 1, name: 'Personal API tokens' }));

    const dialog = await openDialog(page, 'Create token', 'Create a personal API token');
    await expectText(dialog, 'A token can only narrow your own rights');
    // Bad input: the API's message appears next to the field it names.
    await dialog.getByRole('button', { name: 'Create' }).click();
    await expectAttribute(dialog.getByLabel('Label'), 'aria-invalid', 'true');
    await expectText(dialog.locator('.field-error'), 'label');

    await dialog.getByLabel('Label').fill('Power BI on laptop');
    await dialog.getByLabel('Read only').check();
    await dialog.getByRole('button', { name: 'Create' }).click();

    const shown = page.getByRole('dialog', { name: /Token “Power BI on laptop” created/ });
    const { 'API token': secret } = await shownSecrets(shown);
    expect(secret).toMatch(/^kh_pat_/);
    await shown.getByRole('button', { name: 'Copy API token' }).click();
    await expectText(shown.getByRole('button', { name: 'Copy API token' }), 'Copied');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);

    const active = await suite.console.keyhold.request('POST', '/oauth/introspect', { token: suite.admin.token, form: { token: secret } });
    expect(active.body).toMatchObject({ active: true, scope: 'read' });

    await shown.getByRole('button', { name: 'Done' }).click();
    await expectFocused(page.getByRole('button', { name: 'Create token' }));
    const row = page.getByRole('row', { name: /Power BI on laptop/ });
    await expectText(row, 'Read only');
    await expectText(row, 'Never');
    await expectNoText(page.locator('body'), secret);
    expect(await browserStorage(page)).not.toContain(secret);
    await screenshot(page, 'tokens');

    await row.getByRole('button', { name: 'Revoke Power BI on laptop' }).click();
    const confirm = page.getByRole('dialog', { name: 'Revoke “Power BI on laptop”?' });
    await expectText(confirm, 'Revocation is final');
    await confirm.getByRole('button', { name: 'Revoke token' }).click();
    await expectText(row, 'revoked');
    await expectCount(row.getByRole('button', { name: /Revoke/ }), 0);
    // The Revoke button went with the revocation: focus stays on its row, not lost to the page body.
    await expectFocused(row.getByRole('rowheader'));

    const revoked = await suite.console.keyhold.request('POST', '/oauth/introspect', { token: suite.admin.token, form: { token: secret } });
    expect(revoked.body).toEqual({ active: false });
    expect(suite.console.keyhold.logs.join('')).not.toContain(secret);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('works from the keyboard: a dialog takes focus, Escape closes it and focus goes back to its button', async () => {
    const { page, context } = await suite.console.signedIn(suite.admin.token, 'tokens');
    const create = page.getByRole('button', { name: 'Create token' });
    await create.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Create a personal API token' });
    await expectFocused(dialog.getByLabel('Label'));
    await page.keyboard.type('CI runner');
    await page.keyboard.press('Escape');
    await expectCount(dialog, 0);
    await expectFocused(create);
    // Nothing was created: leaving a dialog is not submitting it.
    expect((await suite.console.keyhold.get('/v1/tokens', suite.admin.token)).body.items.map((token: { label: string }) => token.label)).not.toContain('CI runner');
    await context.close();
  });

  it('is usable at a phone’s width', async () => {
    const { page, context } = await suite.console.signedIn(suite.admin.token, 'tokens', { width: 375, height: 740 });
    await page.getByRole('button', { name: 'Create token' }).waitFor();
    await page.getByRole('row', { name: /bootstrap/ }).waitFor();
    // Wide tables scroll inside their own box; the page itself never scrolls sideways.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(page, 'tokens-phone');
    await context.close();
  });
});
