import { describeInChromium, eventually, expectCount, expectText, screenshot, shownSecrets, openDialog } from '../../support/console-browser';

const PASSWORD = 'correct horse battery staple';

describeInChromium('console: integrations (seed 002)', 'shop', (suite) => {
  beforeAll(async () => {
    const set = await suite.console.keyhold.request('PUT', '/v1/me/password', { token: suite.admin.token, json: { newPassword: PASSWORD } });
    expect(set.status).toBe(204);
  });

  it('adds an integration (not-secure warning, custom resources as a tree, password), activates it, reauthorizes it, deletes it', async () => {
    const { page, context, errors } = await suite.console.signedIn(suite.admin.token, 'integrations');

    const add = await openDialog(page, 'Add integration', 'Add integration');
    await add.getByLabel('Name').fill('Shop sync');
    await add.getByLabel('E-mail').fill('ops@shop.test');
    await add.getByLabel('Callback URL').fill('http://sync.example/cb');
    await expectText(add.getByRole('status'), 'Integration not secure');
    await add.getByLabel('Callback URL').fill('https://sync.example/cb');
    await expectCount(add.getByRole('status'), 0);
    await add.getByLabel('Identity link URL').fill('http://sync.example/id');
    await expectText(add.getByRole('status'), 'Integration not secure');
    await add.getByLabel('Identity link URL').fill('https://sync.example/id');
    await expectCount(add.getByRole('status'), 0);
    // Saved without a callback URL: activation then shows the four credentials at once (with one,
    // it is the OAuth 1.0a handshake with the integration's server, which this test has none of).
    await add.getByLabel('Callback URL').fill('');

    await add.getByLabel('Custom').check();
    const tree = add.getByRole('group', { name: 'Resources' });
    await tree.getByRole('checkbox', { name: 'tokens', exact: true }).check();
    for (const name of ['tokens.read', 'tokens.revoke', 'tokens.introspect']) expect(await tree.getByRole('checkbox', { name }).isChecked()).toBe(true);
    await tree.getByRole('checkbox', { name: 'tokens.revoke' }).uncheck();
    expect(await tree.getByRole('checkbox', { name: 'tokens', exact: true }).evaluate((box) => (box as HTMLInputElement).indeterminate)).toBe(true);

    await add.getByLabel('Your password (to confirm)').fill('not my password');
    await add.getByRole('button', { name: 'Save' }).click();
    await expectText(add.getByRole('alert'), /password/i);
    await add.getByLabel('Your password (to confirm)').fill(PASSWORD);
    await add.getByRole('button', { name: 'Save' }).click();

    const card = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: 'Shop sync' }) });
    await expectText(card, 'Inactive');
    await expectText(card, 'tokens.read, tokens.introspect');
    await card.getByRole('button', { name: 'Activate' }).click();
    const allow = page.getByRole('dialog', { name: 'Activate “Shop sync”?' });
    await expectText(allow, 'tokens.read, tokens.introspect');
    await allow.getByRole('button', { name: 'Allow' }).click();

    const shown = page.getByRole('dialog', { name: 'Integration tokens for “Shop sync”' });
    const first = await shownSecrets(shown);
    expect(Object.keys(first)).toEqual(['Consumer key', 'Consumer secret', 'Access token', 'Access token secret']);
    const accessToken = first['Access token'];
    await shown.getByRole('button', { name: 'Done' }).click();
    await expectText(card, 'Active');
    await screenshot(page, 'integrations');

    const introspect = (token: string) => suite.console.keyhold.request('POST', '/oauth/introspect', { token: suite.admin.token, form: { token } });
    expect((await introspect(accessToken)).body).toMatchObject({ active: true, scope: 'tokens.read tokens.introspect' });

    await card.getByRole('button', { name: 'Reauthorize' }).click();
    const reauthorize = page.getByRole('dialog', { name: 'Reauthorize “Shop sync”?' });
    await reauthorize.getByLabel('Your password (to confirm)').fill('not my password');
    await reauthorize.getByRole('button', { name: 'Reauthorize' }).click();
    await expectText(reauthorize.getByRole('alert'), /password/i);
    await reauthorize.getByLabel('Your password (to confirm)').fill(PASSWORD);
    await reauthorize.getByRole('button', { name: 'Reauthorize' }).click();
    const again = page.getByRole('dialog', { name: 'Integration tokens for “Shop sync”' });
    const second = await shownSecrets(again);
    expect(Object.keys(second)).toEqual(['Access token', 'Access token secret']);
    const newAccessToken = second['Access token'];
    await again.getByRole('button', { name: 'Done' }).click();
    expect((await introspect(accessToken)).body).toEqual({ active: false });
    expect((await introspect(newAccessToken)).body.active).toBe(true);

    await card.getByRole('button', { name: 'Delete Shop sync' }).click();
    await page.getByRole('dialog', { name: 'Delete “Shop sync”?' }).getByRole('button', { name: 'Delete integration' }).click();
    await expectCount(page.getByRole('heading', { name: 'Shop sync' }), 0);
    expect((await introspect(newAccessToken)).body).toEqual({ active: false });
    expect(errors).toEqual([]);
    await context.close();
  });

  it('turns the store-wide anonymous guest access on', async () => {
    const { page, context } = await suite.console.signedIn(suite.admin.token, 'integrations');
    const setting = page.getByLabel('Allow anonymous guest access to the API (store-wide)');
    expect(await setting.isChecked()).toBe(false);
    await setting.click();
    await eventually(async () => expect((await suite.console.keyhold.get('/v1/settings', suite.admin.token)).body.allowAnonymousGuestAccess).toBe(true));
    await eventually(async () => expect(await setting.isChecked()).toBe(true));
    await context.close();
  });
});
