/**
 * The runs dashboard with 50 runs overlaid, in Debian's Chromium against the real server
 * (npm run bench -- bench_dashboard in frontend/): 50 real runs (an iris MLP, 3 epochs)
 * made by REST, then in the page, each timed from the click until the chart has drawn
 * all 50 lines (its `data-drawn`, read every animation frame):
 * - "All" ticked with nothing loaded (the 50 runs' event histories fetched, then drawn);
 * - the y axis switched to log (the chart rebuilt with 50 series, data in memory);
 * - another metric chosen; the smoothing moved (data replaced in place).
 * Printed, not asserted (speed is measured here, never in a test).
 */
import type { Page } from '@playwright/test';
import { expect, test } from '../tests/e2e/fixtures';
import { mlpRequest, startRun, waitRuns } from '../tests/e2e/experiments';

const RUNS = 50;

/** Do `act` in the page and time until the overlay chart has drawn `lines` lines. */
async function timeUntilDrawn(page: Page, selector: string, act: 'click' | 'check' | string, lines: number) {
  return page.evaluate(
    async ({ selector, act, lines }) => {
      const el = document.querySelector<HTMLInputElement | HTMLSelectElement>(selector)!;
      const chart = document.querySelector<HTMLElement>('[data-testid="overlay-chart"]');
      if (chart) chart.dataset.drawn = ''; // the next draw sets it again
      const t0 = performance.now();
      if (act === 'click' || act === 'check') el.click();
      else {
        const proto = Object.getPrototypeOf(el);
        Object.getOwnPropertyDescriptor(proto, 'value')!.set!.call(el, act);
        el.dispatchEvent(new Event(el.tagName === 'SELECT' ? 'change' : 'input', { bubbles: true }));
      }
      await new Promise<void>((ok) => {
        const tick = () => {
          const chart = document.querySelector<HTMLElement>('[data-testid="overlay-chart"]');
          if (chart && chart.dataset.drawn === String(lines)) ok();
          else requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
      });
      return performance.now() - t0;
    },
    { selector, act, lines },
  );
}

test('50 runs overlaid', async ({ page }) => {
  test.setTimeout(900_000);
  page.on('dialog', (d) => void d.accept());
  const t0 = Date.now();
  const ids: string[] = [];
  for (let i = 0; i < RUNS; i++) ids.push(await startRun(page.request, mlpRequest('iris', 3)));
  await waitRuns(page.request, ids, 800_000);
  console.log(`  ${RUNS} runs trained in ${((Date.now() - t0) / 1000).toFixed(0)} s`);

  await page.goto('/');
  await page.getByTestId('tab-runs').click();
  await expect(page.getByTestId('dash-run')).toHaveCount(RUNS);
  const figures = {
    all_ticked_cold_ms: await timeUntilDrawn(page, '[data-testid="dash-all"]', 'click', RUNS),
    log_y_rebuild_ms: await timeUntilDrawn(page, '[data-testid="dash-logy"]', 'check', RUNS),
    metric_switch_ms: await timeUntilDrawn(page, '[data-testid="dash-metric"]', 'val_loss', RUNS),
    smoothing_ms: await timeUntilDrawn(page, '[data-testid="dash-smoothing"]', '0.6', RUNS),
  };
  for (const [k, v] of Object.entries(figures)) console.log(`  ${k.padEnd(22)} ${v.toFixed(0)} ms`);
});
