import { readFileSync } from 'node:fs';
import { describeInChromium, eventually, expectCount, expectText, screenshot, shownSecrets, openDialog } from '../../support/console-browser';

const DAY_MS = 86_400_000;

describeInChromium('console: API clients (seed 003)', 'docai', (suite) => {

  it('creates a client, saves its credentials to a file, renames it, rotates secrets, adds a redirect URL and turns on client credentials', async () => {
    const { page, context, errors } = await suite.console.signedIn(suite.admin.token, 'api-clients');

    const create = await openDialog(page, 'Create API Client', 'Create API Client');
    await create.getByLabel('Name').fill('reporting dashboard');
    await create.getByRole('button', { name: 'Create' }).click();

    const shown = page.getByRole('dialog', { name: /API client “reporting dashboard” created/ });
    const { 'Client ID': clientId, 'Client secret': clientSecret } = await shownSecrets(shown);
    await shown.getByRole('button', { name: 'Copy Client secret' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(clientSecret);
    const [download] = await Promise.all([page.waitForEvent('download'), shown.getByRole('button', { name: 'Save to File' }).click()]);
    expect(download.suggestedFilename()).toBe('reporting-dashboard-credentials.txt');
    const file = readFileSync((await download.path())!, 'utf8');
    expect(file).toBe(`Client ID: ${clientId}\nClient secret: ${clientSecret}\n`);
    await shown.getByRole('button', { name: 'Done' }).click();

    const details = page.getByRole('article', { name: 'reporting dashboard' });
    await details.getByLabel('Client name').fill('Reporting dashboard (prod)');
    await details.getByRole('button', { name: 'Rename' }).click();
    await page.getByRole('article', { name: 'Reporting dashboard (prod)' }).waitFor();
    const renamed = page.getByRole('article', { name: 'Reporting dashboard (prod)' });

    // A second secret with the default lifetime: six months.
    expect(await renamed.getByLabel('Lifetime in days').inputValue()).toBe('180');
    await renamed.getByRole('button', { name: 'Add secret' }).click();
    const added = page.getByRole('dialog', { name: /New secret for “Reporting dashboard \(prod\)”/ });
    const { 'Client secret': secondSecret } = await shownSecrets(added);
    await added.getByRole('button', { name: 'Done' }).click();
    await expectCount(renamed.locator('.rows li').filter({ hasText: 'expires' }), 2);
    const secrets = await suite.console.keyhold.get(`/v1/api-clients/${clientId}/secrets`, suite.admin.token);
    const days = secrets.body.items.map((secret: { expiresAt: string; createdAt: string }) => Math.round((Date.parse(secret.expiresAt) - Date.parse(secret.createdAt)) / DAY_MS));
    expect(days).toEqual([180, 180]);

    // Remove the first secret: only the second one authenticates.
    const firstHint = secrets.body.items[0].hint;
    await renamed.getByRole('button', { name: `Remove secret ${firstHint}` }).click();
    await page.getByRole('dialog', { name: `Remove secret ${firstHint}?` }).getByRole('button', { name: 'Remove secret' }).click();
    await expectCount(renamed.locator('.rows li').filter({ hasText: 'expires' }), 1);

    // A redirect URL the API refuses: its message shows next to the field.
    await renamed.getByLabel('Redirect URL').fill('http://app.example.com/callback');
    await renamed.getByRole('button', { name: 'Add URL' }).click();
    const redirectForm = renamed.locator('form').filter({ has: page.getByLabel('Redirect URL') });
    await expectText(redirectForm.getByRole('alert'), 'http only for a loopback host');
    await renamed.getByLabel('Redirect URL').fill('https://app.example.com/callback');
    await renamed.getByRole('button', { name: 'Add URL' }).click();
    await renamed.getByRole('button', { name: 'Remove redirect URL https://app.example.com/callback' }).waitFor();

    await renamed.getByLabel('Require PKCE').check();
    await renamed.getByLabel('Client credentials').check();
    await renamed.getByRole('checkbox', { name: 'member' }).check();
    await renamed.getByRole('button', { name: 'Save flow settings' }).click();
    await eventually(async () => {
      const client = await suite.console.keyhold.get(`/v1/api-clients/${clientId}`, suite.admin.token);
      expect(client.body).toMatchObject({ name: 'Reporting dashboard (prod)', redirectUris: ['https://app.example.com/callback'], flows: { requirePkce: true, clientCredentials: true, clientCredentialsRoles: ['member'] } });
    });
    await screenshot(page, 'api-clients');

    const token = (secret: string) =>
      suite.console.keyhold.request('POST', '/oauth/token', { form: { grant_type: 'client_credentials', client_id: clientId, client_secret: secret } });
    expect((await token(secondSecret)).status).toBe(200);
    expect((await token(clientSecret)).status).toBe(401);
    expect(errors).toEqual([]);
    await context.close();
  });
});
