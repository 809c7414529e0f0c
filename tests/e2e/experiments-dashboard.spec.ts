/**
 * The runs dashboard against the real server: a sweep's runs grouped under it, overlaid
 * with min/max/last that match the REST history, smoothing and log axes; a run's system
 * metrics as charts in its page.
 */
import { expect, pageErrors, shot, test } from './fixtures';
import { epochValues, mlpRequest, startRun, startSweep, waitRuns, waitSweep } from './experiments';

const near = (text: string, want: number) =>
  expect(Math.abs(Number(text) - want)).toBeLessThanOrEqual(Math.abs(want) * 1e-3 + 1e-9);

test('runs grouped by sweep, overlaid with min, max and last; system metrics per run', async ({ editor: page }) => {
  test.setTimeout(150_000);
  const errors = pageErrors(page);
  const request = page.request;
  const sweepId = await startSweep(request, {
    ...mlpRequest('iris', 3),
    space: { '/graph/nodes/hidden/params/units': { choices: [4, 16] } },
    trials: 2,
    parallel: 2,
    sampler: 'random',
    pruner: 'none',
    seed: 1,
  });
  const own = await startRun(request, mlpRequest('digits_flat', 6, 32));
  const sweep = await waitSweep(request, sweepId);
  await waitRuns(request, [own]);
  const trialRuns: string[] = sweep.trials.map((t: { run_id: string }) => t.run_id);
  expect(trialRuns).toHaveLength(2);

  await page.getByTestId('tab-runs').click();
  const group = page.locator(`[data-testid="dash-group"][data-sweep="${sweepId}"]`);
  await expect(group.getByTestId('dash-run')).toHaveCount(2);
  for (const id of trialRuns) await expect(group.locator(`[data-run-id="${id}"]`)).toBeVisible();
  await expect(
    page.locator('[data-testid="dash-group"][data-sweep=""]').locator(`[data-run-id="${own}"]`),
  ).toBeVisible();

  // the whole sweep overlaid
  await group.getByRole('checkbox', { name: /every run of sweep/ }).check();
  const chart = page.getByTestId('overlay-chart');
  await expect(chart).toHaveAttribute('data-drawn', '2');
  await expect(page.getByTestId('dash-row')).toHaveCount(2);
  const check = async (metric: string) => {
    for (const id of trialRuns) {
      const values = await epochValues(request, id, metric);
      const row = page.locator(`[data-testid="dash-row"][data-run-id="${id}"]`);
      near(await row.getByTestId('dash-min').innerText(), Math.min(...values));
      near(await row.getByTestId('dash-max').innerText(), Math.max(...values));
      near(await row.getByTestId('dash-last').innerText(), values[values.length - 1]);
    }
  };
  await expect(page.getByTestId('dash-metric')).toHaveValue('loss');
  await check('loss');
  await page.getByTestId('dash-metric').selectOption('val_accuracy');
  await expect(chart).toHaveAttribute('data-metric', 'val_accuracy');
  await check('val_accuracy');

  // smoothing changes the lines, not the raw min/max/last; log axes redraw every line
  await page.getByTestId('dash-smoothing').fill('0.9');
  await check('val_accuracy');
  await page.getByTestId('dash-logy').check();
  await page.getByTestId('dash-logx').check();
  await expect(chart).toHaveAttribute('data-drawn', '2');
  await page.getByTestId('dash-metric').selectOption('loss');
  await page.locator(`[data-testid="dash-run"][data-run-id="${own}"]`).getByRole('checkbox').check();
  await expect(chart).toHaveAttribute('data-drawn', '3');
  await shot(page, 'dashboard');

  // the run's own page: its system metrics
  await page.locator(`[data-testid="dash-row"][data-run-id="${own}"]`).getByRole('button', { name: 'show' }).click();
  await expect(page.getByTestId('run-view')).toHaveAttribute('data-run-id', own);
  await page.getByTestId('run-page-system').click();
  const cpu = page.getByTestId('system-cpu');
  await expect(cpu).toBeVisible();
  const samples = (await (await request.get(`/api/runs/${own}/events?after=0&limit=10000`)).json()).events.filter(
    (e: { type: string }) => e.type === 'system',
  ).length;
  expect(samples).toBeGreaterThan(0);
  await expect(cpu).toHaveAttribute('data-points', String(samples));
  await expect(page.getByTestId('system-memory')).toBeVisible();
  expect(errors).toEqual([]);
});
