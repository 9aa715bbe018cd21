import { Page } from 'playwright-core';
import { browserStorage, describeInChromium, eventually, expectText } from '../../support/console-browser';

/**
 * The console signed in with Keyhold keeps working past its access token's lifetime: it renews
 * the token with the refresh token (rotated at every use), signs out by revoking it, and sends
 * the person back to sign-in when a renewal is refused. People's access tokens live 2 s here
 * (PEOPLE_ACCESS_TOKEN_TTL_SECONDS) instead of 15 minutes, so the tests wait seconds, not minutes.
 */
const TTL_SECONDS = 2;
const PASSWORD = 'console refresh password';
const past = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type TokenResponse = { access_token: string; refresh_token?: string };
type Event = { type: string; data: Record<string, unknown> };

describeInChromium(
  'console: the session outlives the access token (refresh, sign-out, refused renewal)',
  'refresh',
  (suite) => {
    const keyhold = () => suite.console.keyhold;

    beforeAll(async () => {
      expect((await keyhold().request('PUT', '/v1/me/password', { token: suite.admin.token, json: { newPassword: PASSWORD } })).status).toBe(204);
    });

    /** The events appended while `action` ran. */
    const eventsDuring = async (action: () => Promise<void>): Promise<Event[]> => {
      const before = (await keyhold().events()).length;
      await action();
      return (await keyhold().events()).slice(before) as Event[];
    };

    /** A fresh page, to sign in with Keyhold; every answer of /oauth/token it receives is collected, in order. */
    const withTokensCollected = async () => {
      const opened = await suite.console.page();
      const tokens: TokenResponse[] = [];
      opened.page.on('response', async (response) => {
        if (new URL(response.url()).pathname === '/oauth/token' && response.ok()) tokens.push((await response.json()) as TokenResponse);
      });
      return { ...opened, tokens };
    };

    const signIn = async (page: Page) => {
      await page.goto(`${keyhold().url}/console/`);
      await page.getByRole('button', { name: 'Sign in with Keyhold' }).click();
      await page.getByLabel('Organisation').fill('refresh');
      await page.getByLabel('E-mail').fill('admin@refresh.test');
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('navigation', { name: 'Console' }).waitFor();
    };

    /** Opens "My account", whose two lists load at once, and waits for its data. */
    const openAccount = async (page: Page) => {
      await page.getByRole('link', { name: 'API tokens' }).click();
      await page.getByRole('link', { name: 'My account' }).click();
      await expectText(page.getByRole('article', { name: 'Your sessions' }), 'active');
    };

    /** Signed in with Keyhold, on "My account" with its data loaded. */
    const onAccountPage = async () => {
      const opened = await withTokensCollected();
      await signIn(opened.page);
      await openAccount(opened.page);
      return opened;
    };

    const refreshes = (events: Event[]) => events.filter((event) => event.type === 'UserTokensIssued' && event.data.via === 'refresh_token');
    const refreshGrant = (refreshToken: string) => keyhold().request('POST', '/oauth/token', { form: { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'keyhold-console' } });

    it('renews the access token before it expires, rotating the refresh token, and keeps loading data', async () => {
      const { page, context, errors, tokens } = await withTokensCollected();
      const events = await eventsDuring(async () => {
        await signIn(page);
        await openAccount(page);
        await past(TTL_SECONDS * 1000 + 500);
        // The first access token is dead by now at the server: whatever loads next was renewed.
        expect((await keyhold().get('/v1/me', tokens[0].access_token)).status).toBe(401);
        await openAccount(page);
      });
      const rotations = refreshes(events);
      expect(rotations.length).toBeGreaterThanOrEqual(1);
      // Each renewal used the refresh token issued just before it, in one chain, and none was used twice.
      const issued = events.filter((event) => event.type === 'UserTokensIssued');
      issued.slice(1).forEach((event, index) => expect(event.data.previousRefreshId).toBe((issued[index].data.refresh as { refreshId: string }).refreshId));
      expect(events.map((event) => event.type)).not.toContain('RefreshTokenReused');
      expect(tokens).toHaveLength(issued.length);
      expect(new Set(tokens.map((token) => token.refresh_token)).size).toBe(tokens.length);
      expect(await page.getByRole('alert').count()).toBe(0);
      // In memory only: no token of any kind in storage, the address or history.
      expect(await browserStorage(page)).not.toMatch(/kh_[a-z]+_/);
      expect(errors).toEqual([]);
      await context.close();
    });

    it('renews once after a 401, for calls out at the same time, and retries each of them', async () => {
      const { page, context, errors, tokens } = await withTokensCollected();
      // The page's clock stands still: the console never sees its token near expiry, the server's 401 tells it.
      await page.clock.setFixedTime(new Date());
      const events = await eventsDuring(async () => {
        await signIn(page);
        await page.getByRole('link', { name: 'API tokens' }).click();
        await page.getByRole('heading', { name: 'API tokens' }).waitFor();
        await past(TTL_SECONDS * 1000 + 500);
        const refused: string[] = [];
        page.on('response', (response) => response.status() === 401 && refused.push(new URL(response.url()).pathname));
        // A slow network (every API and token request sent 300 ms late): the two pages' calls
        // below are both out, with the expired token, before the first 401 comes back.
        await page.route(`${keyhold().url}/**`, async (route) => {
          const path = new URL(route.request().url()).pathname;
          if (path.startsWith('/v1/') || path === '/oauth/token') await past(300);
          await route.continue();
        });
        await page.getByRole('link', { name: 'Users' }).click();
        await page.getByRole('link', { name: 'My account' }).click();
        await expectText(page.getByRole('article', { name: 'Your sessions' }), 'active');
        expect([...new Set(refused)].sort()).toEqual(['/v1/me/sessions', '/v1/users']);
      });
      expect(refreshes(events)).toHaveLength(1);
      expect(events.map((event) => event.type)).not.toContain('RefreshTokenReused');
      expect(tokens).toHaveLength(2);
      expect(errors).toEqual([]);
      await context.close();
    });

    it('signs out by revoking the refresh token: Keyhold refuses it afterwards', async () => {
      const { page, context, errors, tokens } = await onAccountPage();
      const events = await eventsDuring(async () => {
        await page.getByRole('button', { name: 'Sign out' }).click();
        await page.getByRole('button', { name: 'Sign in with Keyhold' }).waitFor();
        await eventually(async () => expect((await keyhold().events()).at(-1)?.type).toBe('UserTokensRevoked'));
      });
      expect(events.map((event) => [event.type, event.data.reason])).toEqual([['UserTokensRevoked', 'revoked-by-client']]);
      const last = tokens.at(-1)!;
      const refused = await refreshGrant(last.refresh_token!);
      expect(refused.status).toBe(400);
      expect(refused.body.error).toBe('invalid_grant');
      // The access token went with its family.
      expect((await keyhold().get('/v1/me', last.access_token)).status).toBe(401);
      // Signed out cleanly: no message of a session that ended on its own.
      expect(await page.getByRole('alert').count()).toBe(0);
      expect(errors).toEqual([]);
      await context.close();
    });

    it('sends the person to sign-in with a clear message when the renewal is refused', async () => {
      const { page, context, errors, tokens } = await onAccountPage();
      // Consent withdrawn elsewhere (with the person's API token): every token of the grant is revoked.
      expect((await keyhold().request('DELETE', '/v1/me/grants/keyhold-console', { token: suite.admin.token })).status).toBe(204);
      await page.getByRole('link', { name: 'API tokens' }).click();
      await expectText(page.getByRole('alert'), 'Your session has ended: please sign in again.');
      await page.getByRole('button', { name: 'Sign in with Keyhold' }).waitFor();
      expect(await page.getByRole('navigation', { name: 'Console' }).count()).toBe(0);
      // The refresh token the console held is refused too: nothing is left to renew with.
      expect((await refreshGrant(tokens.at(-1)!.refresh_token!)).body.error).toBe('invalid_grant');
      expect(errors).toEqual([]);
      await context.close();
    });
  },
  { PEOPLE_ACCESS_TOKEN_TTL_SECONDS: String(TTL_SECONDS) },
);
