import { describeInChromium, eventually, expectCount, expectText, screenshot, shownSecrets, openDialog } from '../../support/console-browser';

describeInChromium('console: service accounts (seed 004)', 'builders', (suite) => {

  const clientCredentials = (clientId: string, clientSecret: string) =>
    suite.console.keyhold.request('POST', '/oauth/token', {
      headers: { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}` },
      form: { grant_type: 'client_credentials' },
    });

  it('creates an account (secret once), grants a permission and a project, then a reset lists what it removes', async () => {
    const { page, context, errors } = await suite.console.signedIn(suite.admin.token, 'service-accounts');

    const create = await openDialog(page, 'Create service account', 'Create a service account');
    await create.getByRole('button', { name: 'Create' }).click();
    await expectText(create.locator('.field-error'), 'name');
    await create.getByLabel('Name').fill('nightly export');
    await create.getByRole('button', { name: 'Create' }).click();

    const shown = page.getByRole('dialog', { name: /Service account “nightly export” created/ });
    const { client_id: clientId, client_secret: clientSecret } = await shownSecrets(shown);
    await shown.getByRole('button', { name: 'Done' }).click();

    const details = page.getByRole('article', { name: 'nightly export' });
    await expectText(details, clientId);
    // The box shows what the server holds: it turns checked once the grant is recorded.
    const introspect = details.getByRole('checkbox', { name: 'tokens:introspect' });
    await introspect.click();
    await eventually(async () => expect(await introspect.isChecked()).toBe(true));
    await expectText(page.getByRole('listitem').filter({ hasText: 'nightly export' }), '1 permissions');
    await details.getByLabel('Add to project').fill('bridge-42');
    await details.getByRole('button', { name: 'Add', exact: true }).click();
    await expectText(details.locator('.chips'), 'bridge-42');

    const granted = await clientCredentials(clientId, clientSecret);
    expect(granted.status).toBe(200);
    expect(granted.body.scope).toBe('tokens:introspect');
    await screenshot(page, 'service-accounts');

    await details.getByRole('button', { name: 'Reset secret' }).click();
    const confirm = page.getByRole('dialog', { name: 'Reset the secret of “nightly export”?' });
    await expectText(confirm.locator('.removed'), 'Permission tokens:introspect');
    await expectText(confirm.locator('.removed'), 'Project bridge-42');
    await confirm.getByRole('button', { name: 'Reset secret' }).click();
    const reset = page.getByRole('dialog', { name: /New secret for “nightly export”/ });
    const { client_secret: newSecret } = await shownSecrets(reset);
    expect(newSecret).not.toBe(clientSecret);
    await reset.getByRole('button', { name: 'Done' }).click();
    await expectCount(details.locator('.chips li'), 0);

    expect((await clientCredentials(clientId, clientSecret)).status).toBe(401);
    const account = await suite.console.keyhold.get(`/v1/service-accounts/${clientId}`, suite.admin.token);
    expect(account.body).toMatchObject({ permissions: [], projects: [] });

    await details.getByLabel('Stops working on').fill('2030-01-31');
    await details.getByRole('button', { name: 'Set sunset' }).click();
    await expectText(page.getByRole('listitem').filter({ hasText: 'nightly export' }), 'sunset 31 Jan 2030');
    expect(errors).toEqual([]);
    await context.close();
  });
});
