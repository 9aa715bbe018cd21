import { existsSync } from 'node:fs';
import { Browser, chromium } from 'playwright-core';

/**
 * Debian's Chromium for every browser test (Playwright's own browser download fails on our
 * machines): `KEYHOLD_CHROMIUM` names another binary.
 */
export const CHROMIUM = process.env.KEYHOLD_CHROMIUM ?? '/usr/bin/chromium';

/** The flags this machine's closed network needs (/work/shared/TEST-SERVERS.md): nothing phones home or waits on QUIC or a GPU. */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/**
 * Chromium, headless, with those flags. Each launch gets a fresh user-data-dir: Playwright's
 * `launch` makes a new temporary profile for every browser and deletes it on close (it refuses
 * a `--user-data-dir` flag), so no cookie or storage carries from one suite to the next.
 */
export const launchChromium = (): Promise<Browser> => chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });

/**
 * A suite that needs Chromium. Where Chromium is installed it runs; where it is missing it is
 * skipped with a loud line, or fails instead where the run requires it (CI sets
 * KEYHOLD_REQUIRE_SERVERS=…,CHROMIUM), so a CI machine without a browser cannot pass silently.
 */
export const describeWithChromium = (title: string, body: () => void): void => {
  if (existsSync(CHROMIUM)) {
    describe(title, body);
    return;
  }
  if ((process.env.KEYHOLD_REQUIRE_SERVERS ?? '').split(',').includes('CHROMIUM')) {
    describe(title, () => it('needs Chromium', () => {
      throw new Error(`Chromium is required in this run but ${CHROMIUM} does not exist (apt-get install -y chromium).`);
    }));
    return;
  }
  process.stderr.write(`SKIPPED: "${title}" needs Chromium at ${CHROMIUM} (apt-get install -y chromium).\n`);
  describe.skip(title, body);
};
