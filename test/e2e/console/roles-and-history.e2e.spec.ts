import { readFileSync } from 'node:fs';
import { describeInChromium, eventually, expectCount, expectText, screenshot, shownSecrets, fieldError, openDialog, expectNoText, personalTokenFor } from '../../support/console-browser';

/** Types into the field labelled `label`, then presses `button`. */
const fillAndPress = async (page: import('playwright-core').Page, label: string, value: string, button: string) => {
  await page.getByLabel(label).fill(value);
  await page.getByRole('button', { name: button }).click();
};

const navigation = async (page: import('playwright-core').Page) => page.getByRole('navigation', { name: 'Console' }).getByRole('link').allInnerTexts();

describeInChromium('console: users, member and auditor views, history', 'acme', (suite) => {
  let member: { id: string; token: string };
  let auditor: { id: string; token: string };

  it('lets an admin invite users (what they are handed shown once) and change a role', async () => {
    const { page, context } = await suite.console.signedIn(suite.admin.token, 'users');
    const invite = async (email: string) => {
      const dialog = await openDialog(page, 'Invite user', 'Invite a user');
      await dialog.getByLabel('E-mail').fill(email);
      await dialog.getByRole('button', { name: 'Invite' }).click();
      const shown = page.getByRole('dialog', { name: `${email} added` });
      // The one thing handed over (a first token, or an invitation link where people sign in), once.
      const handedOver = Object.values(await shownSecrets(shown));
      expect(handedOver).toHaveLength(1);
      await shown.getByRole('button', { name: 'Done' }).click();
      await expectNoText(page.locator('body'), handedOver[0]);
      const listed = (await suite.console.keyhold.get('/v1/users?limit=100', suite.admin.token)).body.items.find((user: { email: string }) => user.email === email);
      return { id: listed.id, token: await personalTokenFor(suite.console.keyhold, suite.admin.tenantId, listed.id) };
    };
    const dialog = await openDialog(page, 'Invite user', 'Invite a user');
    await dialog.getByLabel('E-mail').fill('not an address');
    await dialog.getByRole('button', { name: 'Invite' }).click();
    await expectText(dialog.locator('.field-error'), 'email');
    await dialog.getByRole('button', { name: 'Cancel' }).click();

    member = await invite('bob@acme.test');
    auditor = await invite('ada@acme.test');
    await page.getByLabel('Role of ada@acme.test').selectOption('auditor');
    await eventually(async () => expect((await suite.console.keyhold.get(`/v1/users/${auditor.id}`, suite.admin.token)).body.role).toBe('auditor'));
    await screenshot(page, 'users');
    await context.close();
  });

  it('shows a member only their tokens and account, and takes the API’s password rules next to the field', async () => {
    const { page, context } = await suite.console.signedIn(member.token, 'connections');
    expect(await navigation(page)).toEqual(['API tokens', 'My account']);
    // A page the member may not use is not offered, even by its address.
    await page.getByRole('heading', { level: 1, name: 'Personal API tokens' }).waitFor();
    // Their own tokens only: not the admin's.
    const own = (await suite.console.keyhold.get('/v1/tokens', member.token)).body.items;
    expect(own.length).toBeGreaterThan(0);
    await expectCount(page.getByRole('button', { name: /Revoke/ }), own.length);
    await expectNoText(page.getByRole('main'), 'bootstrap');

    const sessionsAnswered = page.waitForResponse((response) => new URL(response.url()).pathname === '/v1/me/sessions');
    await page.getByRole('link', { name: 'My account' }).click();
    // Browser sessions are listed where people sign in on Keyhold's page (issue 15), and only there.
    const sessionsOffered = (await sessionsAnswered).status() !== 404;
    expect(sessionsOffered).toBe((await suite.console.keyhold.get('/v1/me/sessions', member.token)).status !== 404);
    await expectCount(page.getByRole('heading', { name: 'Your sessions' }), sessionsOffered ? 1 : 0);
    await fillAndPress(page, 'New password', 'short', 'Save password');
    await expectText(fieldError(page, 'New password'), 'newPassword');
    await fillAndPress(page, 'New password', 'a long enough passphrase', 'Save password');
    await expectText(page.getByRole('status'), 'Password saved.');
    await context.close();
  });

  it('gives an auditor the history (filters, a timeline, state at an instant, NDJSON export) and nothing to administer', async () => {
    const issued = await suite.console.keyhold.post('/v1/tokens', suite.admin.token, { label: 'laptop', scope: 'read' });
    const revoked = await suite.console.keyhold.request('POST', `/v1/tokens/${issued.body.id}/revoke`, { token: suite.admin.token, json: {}, headers: { 'Keyhold-Reason': 'laptop lost' } });
    expect(revoked.status).toBe(200);

    const { page, context } = await suite.console.signedIn(auditor.token, 'history');
    expect(await navigation(page)).toEqual(['API tokens', 'History', 'My account']);
    await page.getByRole('article', { name: 'Secrets expiring in the next 30 days' }).waitFor();

    await fillAndPress(page, 'Event types', 'not a type!', 'Search');
    await expectText(fieldError(page, 'Event types'), 'type');

    await fillAndPress(page, 'Event types', 'TokenRevoked', 'Search');
    const events = page.getByRole('table', { name: 'Events' });
    await expectText(events, 'laptop lost');
    await expectCount(events.locator('tbody tr'), 1);

    await events.getByRole('button', { name: `Timeline of personal_api_token ${issued.body.id}` }).click();
    const timeline = page.getByRole('article', { name: /Timeline of personal_api_token/ });
    await expectText(timeline, 'TokenRevoked');
    expect(await timeline.locator('li strong').allInnerTexts()).toEqual(['TokenIssued', 'TokenRevoked']);
    await screenshot(page, 'history');

    const state = page.getByRole('article', { name: 'State at an instant' });
    // Opening the timeline chose this credential for "state at an instant" too.
    expect(await state.getByLabel('Credential id').inputValue()).toBe(issued.body.id);
    await state.getByRole('button', { name: 'Show state' }).click();
    await expectText(state.locator('dl'), 'revoked');
    await expectText(state.locator('dl'), 'laptop');

    await page.getByLabel('Event types').fill('');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export NDJSON' }).click()]);
    expect(download.suggestedFilename()).toBe('keyhold-history.ndjson');
    const lines = readFileSync((await download.path())!, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    expect(lines.map((entry) => entry.type)).toEqual(expect.arrayContaining(['TenantCreated', 'TokenIssued', 'TokenRevoked']));
    expect(lines.find((entry) => entry.type === 'TokenRevoked').reason).toBe('laptop lost');
    await context.close();
  });

  it('shows the API client secrets expiring in the next 30 days, each as a bar of the days left', async () => {
    const created = await suite.console.keyhold.post('/v1/api-clients', suite.admin.token, { name: 'billing export', secretLifetimeDays: 10 });
    expect(created.status).toBe(201);
    await suite.console.keyhold.post('/v1/api-clients', suite.admin.token, { name: 'long lived', secretLifetimeDays: 300 });
    const { page, context } = await suite.console.signedIn(auditor.token, 'history');
    const expiring = page.getByRole('article', { name: 'Secrets expiring in the next 30 days' });
    await expectText(expiring, 'billing export');
    await expectCount(expiring.locator('li'), 1);
    expect(await expiring.getByRole('meter').getAttribute('aria-label')).toMatch(/^(9|10) of 30 days left$/);
    await context.close();
  });
});
