/**
 * The sweeps page against the real server: dimensions added by JSON Pointer (a bad one
 * refused by name before any trial starts), a 16-trial sweep of the digits MLP, two at a
 * time, run live to its end (table, parallel coordinates, importance matching GET /api/sweeps/{id}), its best
 * trial opened as a graph, another sweep cancelled.
 */
import type { Page } from '@playwright/test';
import { digitsMlp, expect, pageErrors, shot, test } from './fixtures';

const UNITS = '/graph/nodes/dense_1/params/units';
const LR = '/settings/optimizer/learning_rate';
const TRIALS = 16;


async function addDimension(page: Page, pointer: string) {
  await page.getByTestId('sweep-pointer').fill(pointer);
  await page.getByTestId('sweep-add-dim').click();
  return page.locator(`[data-testid="sweep-dimension"][data-pointer="${pointer}"]`);
}

test('a sweep from the page: live trials, importance, the best opened as a graph; cancel', async ({ editor: page }) => {
  test.setTimeout(420_000);
  page.on('dialog', (d) => void d.accept());
  const errors = pageErrors(page);
  const sweepCount = async () => (await (await page.request.get('/api/sweeps')).json()).sweeps.length as number;
  const before = await sweepCount();
  await digitsMlp(page);
  await page.getByTestId('epochs').fill('2'); // a trial's epochs
  await page.getByTestId('tab-sweeps').click();
  await expect(page.getByTestId('sweep-form')).toBeVisible();

  // a pointer to no node: refused, naming it, and nothing starts
  await addDimension(page, '/graph/nodes/nope/params/units');
  await page.getByTestId('sweep-start').click();
  await expect(page.getByTestId('sweep-problems')).toContainText('nope');
  expect(await sweepCount()).toBe(before);
  await page
    .locator('[data-testid="sweep-dimension"][data-pointer="/graph/nodes/nope/params/units"]')
    .getByTitle('Remove this dimension')
    .click();

  // units: choices; learning rate: the log range guessed around the current value
  const units = await addDimension(page, UNITS);
  await units.getByTestId('dim-kind').selectOption('choices');
  await units.getByTestId('dim-choices').fill('16, 48');
  const lr = await addDimension(page, LR);
  await expect(lr.getByTestId('dim-kind')).toHaveValue('log');
  await page.getByTestId('sweep-trials').fill(String(TRIALS));
  await page.getByTestId('sweep-sampler').selectOption('random');
  await page.getByTestId('sweep-pruner').selectOption('none');
  await page.getByTestId('sweep-start').click();

  const view = page.getByTestId('sweep-view');
  await expect(view).toBeVisible();
  const sweepId = (await view.getAttribute('data-sweep'))!;
  // live: trials appear while it runs, then it ends by itself
  await expect(page.getByTestId('sweep-trial').first()).toBeVisible();
  await expect(view).toHaveAttribute('data-status', 'succeeded', { timeout: 300_000 });
  const sweep = await (await page.request.get(`/api/sweeps/${sweepId}`)).json();
  expect(sweep.space[UNITS]).toEqual({ low: null, high: null, log: false, step: null, choices: [16, 48] });
  expect(sweep.space[LR].log).toBe(true);
  expect(sweep.trials).toHaveLength(TRIALS);
  await expect(page.getByTestId('sweep-trial')).toHaveCount(TRIALS);
  for (const t of sweep.trials) {
    const row = page.locator(`[data-testid="sweep-trial"][data-trial="${t.number}"]`);
    await expect(row).toHaveAttribute('data-state', t.state);
    await expect(row).toContainText(String(t.params[UNITS]));
    const shown = Number(await row.getByTestId('trial-value').innerText());
    expect(Math.abs(shown - t.value)).toBeLessThanOrEqual(Math.abs(t.value) * 1e-3);
  }
  await expect(page.getByTestId('parcoords-axis')).toHaveCount(3);
  await expect(page.getByTestId('parcoords-trial')).toHaveCount(TRIALS);
  await expect(page.getByTestId('sweep-importance')).toContainText('dense_1.units');
  await expect(page.getByTestId('sweep-importance')).toContainText('optimizer.learning_rate');
  // a taller dock for the picture (docs/sweep.png)
  await page.getByTestId('dock-resize').focus();
  for (let i = 0; i < 6; i++) await page.keyboard.press('ArrowUp');
  await shot(page, 'sweep');

  // the best trial as a graph: its units in the editor
  await page.getByTestId('sweep-open-best').click();
  await expect(page.getByText(`(from run ${sweep.best.run_id.slice(0, 8)})`).first()).toBeVisible();
  const units0 = await page.evaluate(
    () =>
      (
        window as unknown as {
          __layerforge: { store: { getState(): { root: { nodes: { id: string; params: { units?: number } }[] } } } };
        }
      ).__layerforge.store
        .getState()
        .root.nodes.find((n) => n.id === 'dense_1')!.params.units,
  );
  expect(units0).toBe(sweep.best.params[UNITS]);

  // another sweep, cancelled while it runs
  await page.getByTestId('tab-sweeps').click();
  await page.getByTestId('sweep-new').click();
  await page.getByTestId('sweep-trials').fill('8');
  await page.getByTestId('sweep-start').click();
  await expect(page.getByTestId('sweep-view')).toHaveAttribute('data-status', 'running');
  await page.getByTestId('sweep-cancel').click();
  await expect(page.getByTestId('sweep-view')).toHaveAttribute('data-status', 'cancelled');
  await expect(page.getByTestId('sweep-row')).toHaveCount(before + 2);
  // the one refusal asked for above, and nothing else
  expect(errors).toEqual([
    'console: Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)',
  ]);
});
