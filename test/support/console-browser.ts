/// <reference lib="dom" />
// The page.evaluate callbacks below and in test/e2e/console run in Chromium: they need the DOM types.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { CommandBus } from '@nestjs/cqrs';
import { OPERATOR } from '@keyhold/domain';
import { IssueTokenCommand } from '../../apps/api/src/tokens/tokens.commands';
import { describeWithChromium, launchChromium } from './chromium';
import { KeyholdHarness } from './keyhold-harness';

/**
 * The console's end-to-end tests drive Debian's Chromium (Playwright's own browser download
 * fails on our machines) against a real Keyhold serving the built console.
 */
const ROOT = join(__dirname, '../..');
/**
 * The README's screenshots are rewritten only when asked (`UPDATE_SCREENSHOTS=1`): the pages show
 * the current time, so every run would otherwise change every image. Other runs still take them.
 */
const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? join(ROOT, 'docs/screenshots') : join(tmpdir(), 'keyhold-console-screenshots');

/** CI runs `npm run build` first; a developer running one test file gets the console built here. */
const ensureConsoleBuilt = () => {
  if (existsSync(join(ROOT, 'dist/console/index.html'))) return;
  execFileSync(join(ROOT, 'node_modules/.bin/vite'), ['build', '--config', 'apps/console/vite.config.mts', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'inherit' });
};

/** What a suite's tests share: the running Keyhold with its browser, and the admin of a fresh tenant. */
export type ConsoleSuite = { console: ConsoleBrowser; admin: { tenantId: string; userId: string; token: string } };

/**
 * A suite in Chromium, against one Keyhold (started before it, stopped after) with one tenant;
 * skipped or failed where Chromium is missing as every browser suite is (describeWithChromium).
 */
export const describeInChromium = (title: string, tenant: string, body: (suite: ConsoleSuite) => void, env: Record<string, string> = {}): void => {
  const suite = {} as ConsoleSuite;
  describeWithChromium(title, () => {
    beforeAll(async () => {
      suite.console = await ConsoleBrowser.start(env);
      suite.admin = await suite.console.keyhold.bootstrap(tenant);
    });
    afterAll(() => suite.console?.stop());
    body(suite);
  });
};

/** One Keyhold and one browser per suite; each test gets a fresh browser context (no shared storage). */
export class ConsoleBrowser {
  private constructor(
    readonly keyhold: KeyholdHarness,
    private readonly browser: Browser,
  ) {}

  /** `env`: settings of this Keyhold beyond the harness's (e.g. a short PEOPLE_ACCESS_TOKEN_TTL_SECONDS). */
  static async start(env: Record<string, string> = {}): Promise<ConsoleBrowser> {
    ensureConsoleBuilt();
    const keyhold = await KeyholdHarness.start(undefined, env);
    const browser = await launchChromium();
    return new ConsoleBrowser(keyhold, browser);
  }

  async stop(): Promise<void> {
    await this.browser.close();
    await this.keyhold.stop();
  }

  /** A fresh context whose console errors and failed requests fail nothing silently: they are collected. */
  async page(viewport = { width: 1280, height: 900 }): Promise<{ page: Page; context: BrowserContext; errors: string[] }> {
    const context = await this.browser.newContext({ viewport, acceptDownloads: true });
    context.setDefaultTimeout(5000);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: this.keyhold.url });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    // The browser logs each refused request (a 400 the test provoked on purpose); scripts' errors are what count.
    page.on('console', (message) => message.type() === 'error' && !message.text().startsWith('Failed to load resource') && errors.push(message.text()));
    return { page, context, errors };
  }

  /** A fresh page signed in with `token`, on the console's page at `path`. */
  async signedIn(token: string, path: string, viewport?: { width: number; height: number }) {
    const opened = await this.page(viewport);
    await this.signIn(opened.page, token, path);
    return opened;
  }

  /** Opens the console and signs in with a personal API token, as a person would paste it. */
  async signIn(page: Page, token: string, path = ''): Promise<void> {
    await page.goto(`${this.keyhold.url}/console/${path}`);
    await page.getByLabel('Personal API token').fill(token);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('navigation', { name: 'Console' }).waitFor();
  }
}

/** Writes console-<name>.png (into docs/screenshots with UPDATE_SCREENSHOTS=1: the README shows them). */
export const screenshot = async (page: Page, name: string): Promise<void> => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `console-${name}.png`), fullPage: true });
};

/** What the browser kept of this origin: a secret shown once must be in none of it. */
export const browserStorage = (page: Page): Promise<string> =>
  page.evaluate(() => JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage }, url: location.href, history: history.length }));

/**
 * Web-first assertions for jest: a page updates after the request it sent returns, so a check
 * is retried until it holds or five seconds pass, then fails with jest's own message.
 */
export const eventually = async (check: () => Promise<void> | void, timeoutMs = 5000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (failure) {
      if (Date.now() > deadline) throw failure;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
};

const textOf = (locator: Locator) => locator.first().innerText({ timeout: 1000 }).catch(() => '');

export const expectText = (locator: Locator, expected: string | RegExp) =>
  eventually(async () => (typeof expected === 'string' ? expect(await textOf(locator)).toContain(expected) : expect(await textOf(locator)).toMatch(expected)));

export const expectNoText = (locator: Locator, unexpected: string) => eventually(async () => expect(await textOf(locator)).not.toContain(unexpected));

export const expectFocused = (locator: Locator) =>
  eventually(async () => expect(await locator.evaluate((element) => element === document.activeElement, undefined, { timeout: 1000 }).catch(() => false)).toBe(true));

export const expectAttribute = (locator: Locator, name: string, value: string) =>
  eventually(async () => expect(await locator.getAttribute(name, { timeout: 1000 }).catch(() => null)).toBe(value));

export const expectCount = (locator: Locator, count: number) => eventually(async () => expect(await locator.count()).toBe(count));

/** The secrets a "shown once" dialog displays, by label, once it says they will not be seen again. */
export const shownSecrets = async (dialog: Locator): Promise<Record<string, string>> => {
  await expectText(dialog, /you will not see (it|them) again/);
  const pairs = await dialog.locator('code[data-secret]').evaluateAll((codes) => codes.map((code) => [(code as HTMLElement).dataset.secret!, code.textContent!]));
  return Object.fromEntries(pairs);
};

/** The API's message shown under the field labelled `label`. */
export const fieldError = (scope: Page | Locator, label: string): Locator => scope.locator('.field', { hasText: label }).locator('.field-error');

/** Clicks the button that opens a dialog, and gives the dialog. */
export const openDialog = async (page: Page, button: string, dialog: string | RegExp): Promise<Locator> => {
  await page.getByRole('button', { name: button }).click();
  return page.getByRole('dialog', { name: dialog });
};

/**
 * A personal API token of a user the test added, issued by the same command POST /v1/tokens
 * runs (as the harness's bootstrap gives the first admin theirs): however users get their first
 * credential (a token, or an invitation to sign in), the console can then be signed in to as them.
 */
export const personalTokenFor = async (keyhold: KeyholdHarness, tenantId: string, userId: string): Promise<string> => {
  // As the CLI would: the test stands in for the user who asks for their own token.
  const context = { actorId: userId, correlationId: 'test', causationId: 'test', caller: OPERATOR };
  const issued = await keyhold.app.get(CommandBus).execute(new IssueTokenCommand({ tenantId, ownerId: userId, label: 'console test', scope: 'read_write', expiresAt: null, idempotencyKey: null, context }));
  return issued.secret!;
};
