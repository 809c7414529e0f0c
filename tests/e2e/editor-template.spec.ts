import { expect, openTemplate, shot, test } from './fixtures';

test('open a template with one click: nodes, shapes on edges, parameter count', async ({ editor: page }) => {
  await openTemplate(page, 'functional_headline_two_inputs_two_outputs');
  await expect(page.locator('.react-flow__node')).toHaveCount(12);
  // the server checked it: every edge shows its tensor shape, the model is Functional
  await expect(page.getByTestId('check-status')).toContainText('functional');
  await expect(page.locator('.react-flow__edge-text').first()).toBeVisible();
  await expect(page.locator('.react-flow__edge-text', { hasText: '(None, 100, 512)' })).toHaveCount(1);
  await expect(page.getByTestId('node-lstm').getByTestId('node-shape')).toHaveText('(None, 32)');
  await shot(page, 'template-headline');
});
