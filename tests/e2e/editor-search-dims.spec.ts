/**
 * Marking search dimensions on the graph: a parameter in the inspector becomes a JSON
 * Pointer and a range or choices in the sweep store (the Sweeps page's form lists it),
 * badged on its node; a bad range says what is wrong and keeps the last good one;
 * unmarked, it goes from the node and the form.
 */
import type { Page } from '@playwright/test';
import { expect, openTemplate, pageErrors, selectNode, shot, test } from './fixtures';

async function mark(page: Page, param: string) {
  await page.getByTestId(`field-${param}`).hover();
  await page.getByTestId(`search-toggle-${param}`).click();
  return page.locator(`[data-testid="search-dim"][data-pointer="/graph/nodes/dense_1/params/${param}"]`);
}

test('a parameter marked as a search dimension reaches the sweep form and is badged on its node', async ({
  editor: page,
}) => {
  const errors = pageErrors(page);
  await openTemplate(page, 'sequential_mlp_mnist');
  await selectNode(page, 'dense_1');

  const units = await mark(page, 'units');
  await expect(units.getByTestId('search-kind')).toHaveValue('int'); // an integer parameter: an integer range
  await units.getByTestId('search-low').fill('16');
  await units.getByTestId('search-high').fill('256');
  await units.getByTestId('search-step').fill('16');
  await expect(page.getByTestId('node-dense_1').getByTestId('node-search')).toHaveText('⌕ units');

  const activation = await mark(page, 'activation');
  await activation.getByTestId('search-kind').selectOption('choices');
  await activation.getByTestId('search-choices').fill('relu, tanh, gelu');
  await expect(page.getByTestId('node-dense_1').getByTestId('node-search')).toHaveText('⌕ units, activation');
  await expect(page.getByTestId('node-dense_2').getByTestId('node-search')).toHaveCount(0);

  // a range that is no range: the message, and the sweep keeps the last good one
  await units.getByTestId('search-high').fill('8');
  await expect(units.getByTestId('search-error')).toHaveText('low must be below high');
  await units.getByTestId('search-high').fill('256');
  await expect(units.getByTestId('search-error')).toHaveCount(0);
  await shot(page, 'search-dims-01-marked');

  // the Sweeps page's form has both, as marked
  await page.getByTestId('tab-sweeps').click();
  const row = (param: string) =>
    page.locator(`[data-testid="sweep-dimension"][data-pointer="/graph/nodes/dense_1/params/${param}"]`);
  await expect(row('units').getByTestId('dim-low')).toHaveValue('16');
  await expect(row('units').getByTestId('dim-high')).toHaveValue('256');
  await expect(row('units').getByTestId('dim-step')).toHaveValue('16');
  await expect(row('activation').getByTestId('dim-choices')).toHaveValue('relu, tanh, gelu');

  // unmarked: gone from the node and from the form
  await page.getByTestId('search-toggle-units').click();
  await expect(page.getByTestId('node-dense_1').getByTestId('node-search')).toHaveText('⌕ activation');
  await expect(row('units')).toHaveCount(0);
  await expect(row('activation')).toHaveCount(1);
  expect(errors).toEqual([]);
});
