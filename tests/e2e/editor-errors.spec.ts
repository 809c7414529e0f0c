import { expect, openTemplate, selectNode, shot, test } from './fixtures';

test('a wrong parameter marks its node and field; fixing it clears the mark', async ({ editor: page }) => {
  await openTemplate(page, 'sequential_mlp_mnist');
  await expect(page.getByTestId('check-status')).toContainText('sequential');
  await selectNode(page, 'dense_1');
  await page.locator('#param-units').fill('0');

  const node = page.getByTestId('node-dense_1');
  await expect(node.getByTestId('node-error')).toContainText('at least 1');
  await expect(node).toHaveClass(/has-error/);
  await expect(page.getByTestId('field-units').getByTestId('field-error')).toContainText('at least 1');
  await expect(page.getByTestId('check-status')).toContainText('1 problem');
  // other nodes are not blamed
  await expect(page.locator('.layer-node.has-error')).toHaveCount(1);
  await shot(page, 'errors-01-wrong-units');

  // the problems list focuses the node
  await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
  await page.getByTestId('problem').first().click();
  await expect(page.getByTestId('inspector-node')).toContainText('dense_1');

  // past the 1 s in which typing into one field merges into one undo step, so that the
  // wrong value stays a step of its own (undone below)
  await page.waitForTimeout(1100);
  await page.locator('#param-units').fill('128');
  await expect(node.getByTestId('node-error')).toHaveCount(0);
  await expect(page.getByTestId('check-status')).toContainText('sequential');
  await expect(node.getByTestId('node-shape')).toHaveText('(None, 128)');
  await shot(page, 'errors-02-fixed');

  // undo brings the wrong value (and its mark) back; redo fixes it again
  await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('Control+z');
  await expect(node.getByTestId('node-error')).toBeVisible();
  await page.keyboard.press('Control+y');
  await expect(node.getByTestId('node-error')).toHaveCount(0);
});

test("an Output's metrics are ticked from the server's list and shown on its card", async ({ editor: page }) => {
  await openTemplate(page, 'sequential_mlp_mnist');
  // each layer's multiply-accumulates for one sample: 784 x 64 for the first Dense
  await expect(page.getByTestId('node-dense_1').getByTestId('node-macs')).toHaveText('50.2 k MAC');
  await selectNode(page, 'output');
  const field = page.getByTestId('field-metrics');
  await expect(field.getByLabel('accuracy', { exact: true })).toBeChecked();
  await field.getByLabel('mae', { exact: true }).check();
  const card = page.getByTestId('node-output').locator('.layer-params');
  await expect(card).toContainText('metrics=(accuracy, mae)');
  await field.getByLabel('accuracy', { exact: true }).uncheck();
  await expect(card).toContainText('metrics=(mae)');
  await expect(page.getByTestId('check-status')).toContainText('sequential');
});

test('a one-click fix beside an error repairs the graph as one undo step', async ({ editor: page }) => {
  await openTemplate(page, 'sequential_mlp_mnist');
  await selectNode(page, 'output');
  await page.locator('#param-loss').selectOption('');
  const problem = page.getByTestId('problem').filter({ hasText: 'no_loss' });
  await expect(problem).toBeVisible();
  const fix = problem.getByTestId('fix').first();
  await expect(fix).toContainText('Use the loss');
  await shot(page, 'errors-03-fix-offered');
  await fix.click();
  await expect(page.getByTestId('check-status')).toContainText('sequential');
  await expect(page.getByTestId('problem')).toHaveCount(0);
  await expect(page.getByTestId('node-output').locator('.layer-params')).toContainText('loss=');
  await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('Control+z');
  await expect(page.getByTestId('problem').filter({ hasText: 'no_loss' })).toBeVisible();
});
