import { expect, openTemplate, shot, test } from './fixtures';

test('export Python code: highlighted, copyable', async ({ editor: page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await openTemplate(page, 'functional_headline_two_inputs_two_outputs');
  await expect(page.getByTestId('check-status')).toContainText('functional');
  await page.getByTestId('export-python').click();
  const code = page.getByTestId('python-code');
  await expect(code).toContainText('import keras');
  await expect(code).toContainText('keras.Model(');
  await expect(code).toContainText('main_output');
  await expect(code.locator('.hljs-keyword').first()).toBeVisible(); // highlighted
  await page.getByTestId('copy-code').click();
  await expect(page.getByTestId('copy-code')).toHaveText('Copied ✓');
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  expect(copied).toContain('keras.Model(');
  await shot(page, 'export-python');
});
