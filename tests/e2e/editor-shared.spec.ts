import { connectPorts, expect, openTemplate, selectNode, shot, test, totalParams } from './fixtures';

test('calling a layer again shares its weights: tie drawn, parameter count unchanged', async ({ editor: page }) => {
  await openTemplate(page, 'functional_headline_two_inputs_two_outputs');
  await expect(page.getByTestId('check-status')).toContainText('functional');
  const before = await totalParams(page);
  expect(before).toBe(5_200_610);

  await selectNode(page, 'dense2');
  await page.getByTestId('call-again').click();
  const site = page.getByTestId('node-dense');
  await expect(site).toBeVisible();
  await expect(page.getByTestId('tie-edge')).toHaveCount(1);
  await expect(site.locator('.badge-shared')).toHaveText('⇄ 2×');
  await expect(page.getByTestId('node-dense2').locator('.badge-shared')).toHaveText('⇄ 2×');

  // put the second call between dense2 and dense3: dense2 -> dense2 (again) -> dense3
  await connectPorts(page, 'dense2', 'dense');
  await connectPorts(page, 'dense', 'dense3');
  await expect(page.getByTestId('check-status')).toContainText('functional');
  await expect(site.getByTestId('node-shape')).toHaveText('(None, 64)');
  expect(await totalParams(page)).toBe(before);
  await shot(page, 'shared-01-called-again');

  // editing the call site edits the layer: both calls change
  await selectNode(page, 'dense');
  await expect(page.getByTestId('shared-note')).toContainText('2 calls');
  await page.locator('#param-activation').selectOption(JSON.stringify('tanh'));
  await expect(page.getByTestId('node-dense2')).toContainText('activation=tanh');
  await expect(site).toContainText('activation=tanh');
  expect(await totalParams(page)).toBe(before);
  await shot(page, 'shared-02-edit-applies-to-both');
});
