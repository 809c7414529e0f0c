import { defineConfig } from '@playwright/test';
import { chromiumLaunch } from './playwright.config';

/** Editor speed figures (bench/bench_editor.spec.ts), against the real server. */
export default defineConfig({
  testDir: '../bench',
  testMatch: 'bench_*.spec.ts',
  outputDir: '../test-results/bench',
  globalSetup: '../tests/e2e/global-setup.ts',
  timeout: 1_500_000,
  workers: 1,
  reporter: [['list']],
  use: { viewport: { width: 1600, height: 1000 }, launchOptions: chromiumLaunch },
});
