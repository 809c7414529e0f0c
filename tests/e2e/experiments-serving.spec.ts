/**
 * From a finished run, against the real server: an int8 ONNX export with its parity
 * report (as POST /api/runs/{id}/export answered it), the file downloadable, the error
 * per layer; then "fine-tune", whose new run starts from this run's weights and shows
 * what it loaded.
 */
import { expect, pageErrors, test } from './fixtures';
import { mlpRequest, startRun, waitRuns } from './experiments';

test('export for serving with a parity report, then fine-tune from the run', async ({ page }) => {
  test.setTimeout(120_000);
  const errors = pageErrors(page);
  const runId = await startRun(page.request, mlpRequest('iris', 3));
  await waitRuns(page.request, [runId]);
  await page.goto(`/#run=${runId}`);
  await expect(page.getByTestId('run-view')).toHaveAttribute('data-status', 'succeeded');
  await page.getByTestId('run-page-serving').click();

  await page.getByTestId('export-format').selectOption('onnx');
  await page.getByTestId('export-quantize').selectOption('int8');
  const answer = page.waitForResponse((r) => r.url().endsWith(`/api/runs/${runId}/export`));
  await page.getByTestId('export-start').click();
  const report = await (await answer).json();
  expect(report.quantize).toBe('int8');
  await expect(page.getByTestId('parity-output')).toHaveCount(report.outputs.length);
  await expect(page.getByTestId('parity-top1').first()).toHaveText(
    `${(report.outputs[0].top1_agreement * 100).toFixed(1)} %`,
  );
  const href = (await page.getByTestId('export-download').getAttribute('href'))!;
  const file = await page.request.get(href);
  expect(file.status()).toBe(200);
  expect((await file.body()).length).toBe(report.bytes);
  for (const id of Object.keys(report.layer_errors)) await expect(page.getByTestId('layer-errors')).toContainText(id);

  await page.getByTestId('fine-tune-factor').fill('0.5');
  const tuned = page.waitForResponse((r) => r.url().endsWith(`/api/runs/${runId}/fine-tune`));
  await page.getByTestId('fine-tune-start').click();
  const next = await (await tuned).json();
  expect(next.settings.initial_weights.run).toBe(runId);
  expect(next.settings.optimizer.learning_rate).toBeCloseTo(0.5 * 0.001, 9);
  const view = page.getByTestId('run-view');
  await expect(view).toHaveAttribute('data-run-id', next.id);
  await expect(view).toHaveAttribute('data-status', 'succeeded', { timeout: 60_000 });
  await expect(page.getByTestId('weights-report')).toContainText('loaded');
  await page.getByTestId('weights-report').locator('summary').click();
  await expect(page.getByTestId('weights-loaded')).toContainText('hidden');
  expect(errors).toEqual([]);
});
