import { expect, openTemplate, selectNode, shot, test, totalParams } from './fixtures';

test('save with versions, group layers into a model, open and collapse it', async ({ editor: page }) => {
  await openTemplate(page, 'sequential_mlp_mnist');
  await expect(page.getByTestId('check-status')).toContainText('sequential');
  const before = await totalParams(page);

  await page.keyboard.press('Control+s');
  await page.getByTestId('save-confirm').click(); // the first save asks for a name: the template's
  await expect(page.getByTestId('toast')).toContainText('(version 1)');
  await selectNode(page, 'dense_2');
  await page.locator('#param-units').fill('32');
  await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('Control+s');
  await expect(page.getByTestId('toast')).toContainText('(version 2)');
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  const row = page.getByTestId('saved-list').locator('tr', { hasText: 'MLP for MNIST' });
  await expect(row).toContainText('2');
  await row.locator('td').nth(1).locator('a').click(); // list its versions
  await row.getByRole('button', { name: 'v1' }).click(); // open the first version again
  await expect(page.getByTestId('node-dense_2')).toContainText('units=64');
  await expect(page.getByTestId('check-status')).toContainText('sequential');
  expect(await totalParams(page)).toBe(before);

  // group dense_2 + dropout_2 into a reusable model: same parameters, now Functional
  await selectNode(page, 'dense_2');
  await page.keyboard.down('Shift');
  await page.getByTestId('node-dropout_2').locator('.layer-head').click();
  await page.keyboard.up('Shift');
  await page.getByTestId('group-selection').click();
  const model = page.locator('.layer-node[data-type="Model"]');
  await expect(model).toHaveCount(1);
  await expect(page.getByTestId('subgraph-list')).toContainText('block');
  await expect(model.getByTestId('node-shape')).toHaveText('(None, 64)');
  expect(await totalParams(page)).toBe(before);
  await shot(page, 'group-01-grouped');

  await model.getByRole('button', { name: /Open block/ }).click();
  await expect(page.getByTestId('breadcrumb')).toContainText('block');
  await expect(page.getByTestId('node-dense_2')).toBeVisible();
  await shot(page, 'group-02-opened');
  await page.getByRole('button', { name: '◂ Collapse' }).click();
  await expect(page.getByTestId('breadcrumb')).toHaveCount(0);
  await expect(model).toHaveCount(1);
});
