/**
 * A quantized export's error on the graph: a run of the MNIST MLP exported to ONNX int8
 * (POST /api/runs/{id}/export, its report stored as exports/<file>.json), picked in the
 * inspector; each node shows its relative output error as the report gives it and a
 * colour along the legend, the largest flagged; Off goes back to no colouring.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, openTemplate, pageErrors, shot, test } from './fixtures';
import { waitRuns } from './experiments';

const EXAMPLES = join(__dirname, '..', '..', 'examples');

test('each layer of an int8 export shows its error, coloured; off again', async ({ editor: page }) => {
  test.setTimeout(240_000);
  const errors = pageErrors(page);
  const graph = JSON.parse(readFileSync(join(EXAMPLES, 'sequential_mlp_mnist.json'), 'utf8'));
  const res = await page.request.post('/api/runs', {
    data: { graph, dataset: { name: 'digits_mnist_shaped' }, settings: { epochs: 1, batch_size: 64 } },
  });
  expect(res.status(), await res.text()).toBe(201);
  const run = (await res.json()).id as string;
  await waitRuns(page.request, [run]);
  const exported = await page.request.post(`/api/runs/${run}/export`, {
    data: { format: 'onnx', quantize: 'int8' },
    timeout: 180_000,
  });
  expect(exported.status(), await exported.text()).toBe(201);
  const report = await exported.json();
  const relative = report.layer_errors as Record<string, { relative: number }>;
  const worst = Object.entries(relative).sort((a, b) => b[1].relative - a[1].relative)[0][0];

  await openTemplate(page, 'sequential_mlp_mnist');
  await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
  await page.getByTestId('error-run').selectOption(run);
  await page.getByTestId('error-report').selectOption(`${report.artifact}.json`);
  await expect(page.getByTestId('error-legend')).toBeVisible();
  for (const [id, e] of Object.entries(relative)) {
    const stat = page.getByTestId(`node-${id}`).getByTestId('node-stat');
    await expect(stat).toContainText(`int8 error ${(e.relative * 100).toPrecision(2)} %`);
  }
  await expect(page.getByTestId('node-input').getByTestId('node-stat')).toHaveCount(0);
  // the largest error is the hottest colour and flagged
  await expect(page.getByTestId(`node-${worst}`).getByTestId('node-stat')).toHaveAttribute('data-heat', '1.00');
  await expect(page.getByTestId(`node-${worst}`).getByTestId('node-flag')).toBeVisible();
  await shot(page, 'quant-errors-01-int8');
  await page.getByTestId('error-off').click();
  await expect(page.locator('[data-testid="node-stat"]')).toHaveCount(0);
  expect(errors).toEqual([]);
});
