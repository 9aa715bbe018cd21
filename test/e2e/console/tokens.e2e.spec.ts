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

  it('starts "Sign in with Keyhold" from the server metadata (RFC 8414) and says plainly when it has no authorization endpoint', async () => {
    const metadata = await suite.console.keyhold.get('/.well-known/oauth-authorization-server');
    const { page, context, errors } = await suite.console.page();
    await page.goto(`${suite.console.keyhold.url}/console/`);
    await page.getByRole('button', { name: 'Sign in with Keyhold' }).click();
    if (metadata.body.authorization_endpoint) {
      // Once the sign-in branch is merged: the browser goes to /oauth/authorize with PKCE S256.
      await page.waitForURL((url) => url.pathname === new URL(metadata.body.authorization_endpoint).pathname);
      const url = new URL(page.url());
      expect(url.searchParams.get('client_id')).toBe('keyhold-console');
      expect(url.searchParams.get('redirect_uri')).toBe(`${suite.console.keyhold.url}/console/callback`);
      expect(url.searchParams.get('code_challenge_method')).toBe('S256');
      expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    } else {
      await expectText(page.getByRole('alert'), 'does not offer sign-in with Keyhold yet');
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
