/**
 * The headline model of the Keras Functional guide, built in the browser by dragging
 * layers from the palette, filling the inspector and connecting ports by mouse.
 */
import type { Page } from '@playwright/test';
import { connectPorts, dropLayer, expect, selectNode, shot, test, totalParams } from './fixtures';

async function fill(page: Page, param: string, value: string) {
  await page.locator(`#param-${param}`).fill(value);
}
async function choose(page: Page, param: string, value: string) {
  await page.locator(`#param-${param}`).selectOption(JSON.stringify(value));
}
async function rename(page: Page, name: string) {
  await page.locator('#node-name').fill(name);
}

test('build the headline model by dragging and connecting; shapes appear on the edges', async ({ editor: page }) => {
  test.setTimeout(240_000);
  // zoom out (1/1.2^3) so unconnected nodes, tall with their errors, do not overlap
  for (let i = 0; i < 3; i++) await page.locator('.react-flow__controls-zoomout').click();
  // column x, row y inside the canvas (1050 x 740 at this viewport)
  const col = (i: number) => 110 + i * 250;
  const row = (j: number) => 40 + j * 105;

  await dropLayer(page, 'Input', col(0), row(0)); // input
  await fill(page, 'shape', '100');
  await choose(page, 'dtype', 'int32');
  await rename(page, 'main_input');
  await dropLayer(page, 'Embedding', col(0), row(1)); // embedding
  await fill(page, 'input_dim', '10000');
  await fill(page, 'output_dim', '512');
  await dropLayer(page, 'LSTM', col(0), row(2)); // lstm
  await dropLayer(page, 'Dense', col(0), row(3)); // dense
  await fill(page, 'units', '1');
  await choose(page, 'activation', 'sigmoid');
  await dropLayer(page, 'Output', col(0), row(4)); // output
  await rename(page, 'aux_output');
  await choose(page, 'loss', 'binary_crossentropy');
  await fill(page, 'loss_weight', '0.2');
  await shot(page, 'build-01-first-branch');

  await dropLayer(page, 'Input', col(1), row(2)); // input_1
  await fill(page, 'shape', '5');
  await rename(page, 'aux_input');
  await dropLayer(page, 'Concatenate', col(1), row(3)); // concatenate
  for (const [i, id] of ['dense_1', 'dense_2', 'dense_3'].entries()) {
    await dropLayer(page, 'Dense', col(2 + (i % 2)), row(i)); // dense_1..3
    await expect(page.getByTestId(`node-${id}`)).toBeVisible();
    await fill(page, 'units', '64');
    await choose(page, 'activation', 'relu');
  }
  await dropLayer(page, 'Dense', col(2), row(3)); // dense_4
  await fill(page, 'units', '1');
  await choose(page, 'activation', 'sigmoid');
  await dropLayer(page, 'Output', col(2), row(4)); // output_1
  await rename(page, 'main_output');
  await choose(page, 'loss', 'binary_crossentropy');
  await shot(page, 'build-02-all-layers-dropped');

  const wires: [string, string, number?][] = [
    ['input', 'embedding'],
    ['embedding', 'lstm'],
    ['lstm', 'dense'],
    ['dense', 'output'],
    ['lstm', 'concatenate', 0],
    ['input_1', 'concatenate', 1],
    ['concatenate', 'dense_1'],
    ['dense_1', 'dense_2'],
    ['dense_2', 'dense_3'],
    ['dense_3', 'dense_4'],
    ['dense_4', 'output_1'],
  ];
  for (const [from, to, port] of wires) {
    await connectPorts(page, from, to, 0, port ?? 0);
  }
  await expect(page.locator('.react-flow__edge[data-id]:not([data-id^="tie:"])')).toHaveCount(wires.length);

  // Keras's word: Functional, 5,200,610 parameters, as in the guide
  await expect(page.getByTestId('check-status')).toContainText('functional');
  expect(await totalParams(page)).toBe(5_200_610);
  const labels = page.locator('.react-flow__edge-text');
  await expect(labels.filter({ hasText: '(None, 100, 512)' })).toHaveCount(1);
  await expect(labels.filter({ hasText: '(None, 37)' })).toHaveCount(1);
  await expect(labels.filter({ hasText: '(None, 32)' })).toHaveCount(2);
  await expect(labels.filter({ hasText: '(None, 64)' })).toHaveCount(3);
  await expect(page.getByTestId('node-concatenate').getByTestId('node-shape')).toHaveText('(None, 37)');
  await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
  await shot(page, 'build-03-connected-with-shapes');

  // the summary table agrees
  await page.getByRole('button', { name: 'Summary' }).click();
  await expect(page.getByTestId('summary-total')).toHaveText('5,200,610');
  await expect(page.getByTestId('summary-macs')).toBeVisible();
  await shot(page, 'build-04-summary');
});
