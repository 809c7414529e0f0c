import { defineConfig } from '@playwright/test';

/**
 * End-to-end tests in Debian's Chromium against the real server, which the global setup
 * starts (tests/e2e/global-setup.ts) on a free port with a temporary data directory.
 */
export const chromiumLaunch = {
  executablePath: '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
};

export default defineConfig({
  testDir: '../tests/e2e',
  outputDir: '../test-results/playwright',
  globalSetup: '../tests/e2e/global-setup.ts',
  timeout: 90_000,
  expect: { timeout: 20_000 },
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    viewport: { width: 1600, height: 1000 },
    launchOptions: chromiumLaunch,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
});
