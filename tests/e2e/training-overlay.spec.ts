/**
 * A run's colouring and charts belong to the run and the graph it trained: they never
 * land on a new or another opened graph, even one whose node ids are the same.
 */
import { digitsMlp, expect, openTemplate, pageErrors, test } from './fixtures';

test.beforeEach(({ page }) => {
  page.on('dialog', (d) => void d.accept());
});

test('while layer statistics are on, the run says when they come, not "turn them on"', async ({ editor: page }) => {
  test.setTimeout(120_000);
  await digitsMlp(page);
  await page.getByTestId('epochs').fill('1');
  await page.getByTestId('layer-stats').check();
  await page.getByTestId('start-run').click();
  // queued or starting: the trainer needs seconds before its first epoch ends
  await expect(page.getByTestId('stats-none')).toHaveText('Layer statistics arrive at the end of epoch 1.');
  await expect(page.getByTestId('run-view')).toHaveAttribute('data-status', 'succeeded', { timeout: 90_000 });
  await expect(page.getByTestId('graph-colouring')).toBeVisible();
  await expect(page.getByTestId('stats-none')).toHaveCount(0);
});

test('the colouring and charts of a run stay with its graph', async ({ editor: page }) => {
  test.setTimeout(180_000);
  const errors = pageErrors(page);
  await digitsMlp(page);
  await page.getByTestId('epochs').fill('1');
  await page.getByTestId('layer-stats').check();
  await page.getByTestId('start-run').click();
  const view = page.getByTestId('run-view');
  await expect(view).toHaveAttribute('data-status', 'succeeded', { timeout: 120_000 });
  const runId = (await view.getAttribute('data-run-id'))!;
  await page.getByTestId('colour-by').selectOption('grad_norm');
  await expect(page.getByTestId('node-dense_1').getByTestId('node-stat')).toContainText('gradient norm');

  // New: nothing of the run on the empty graph, no charts
  await page.getByRole('button', { name: 'New', exact: true }).click();
  await expect(view).toHaveCount(0);
  // the same template again: the same node ids, still not the run's graph
  await openTemplate(page, 'sequential_mlp_mnist');
  await expect(page.getByTestId('node-dense_1')).toBeVisible();
  await expect(page.getByTestId('node-stat')).toHaveCount(0);
  await expect(view).toHaveCount(0);

  // shown from the history: its charts, but its colouring stays off this graph
  await page.locator(`[data-testid="run-row"][data-run-id="${runId}"] .tr-run-line`).first().click();
  await expect(view).toHaveAttribute('data-run-id', runId);
  await expect(page.getByTestId('stats-other-graph')).toBeVisible();
  await expect(page.getByTestId('node-stat')).toHaveCount(0);

  // its own graph opened: the colouring is back
  await page.getByTestId('stats-other-graph').getByRole('button', { name: 'Open its graph' }).click();
  await expect(page.getByText(`(from run ${runId.slice(0, 8)})`).first()).toBeVisible();
  await expect(view).toHaveAttribute('data-run-id', runId);
  await expect(page.getByTestId('node-dense_1').getByTestId('node-stat')).toContainText('gradient norm');

  // and after a reload (the draft keeps the graph's runs)
  await page.waitForTimeout(1500);
  await page.reload();
  await expect(view).toHaveAttribute('data-run-id', runId);
  await page.getByTestId('colour-by').selectOption('grad_norm');
  await expect(page.getByTestId('node-dense_1').getByTestId('node-stat')).toContainText('gradient norm');
  expect(errors).toEqual([]);
});
