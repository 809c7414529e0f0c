/**
 * A run's results page against the real server: a classifier's confusion matrix (a
 * cell's samples on click), per-class scores and most confidently wrong rows, all as in
 * its evaluation.json; a regression's predicted-vs-true points and residuals, computed
 * again on demand (POST /api/runs/{id}/evaluate).
 */
import type { Page } from '@playwright/test';
import { expect, pageErrors, test } from './fixtures';
import { mlpRequest, startRun, waitRuns } from './experiments';

async function openResults(page: Page, runId: string) {
  await page.goto(`/#run=${runId}`);
  await page.reload(); // a change of hash alone is no new page: the run shown is read at load
  await expect(page.getByTestId('run-view')).toHaveAttribute('data-run-id', runId);
  await expect(page.getByTestId('run-view')).toHaveAttribute('data-status', 'succeeded');
  await page.getByTestId('run-page-results').click();
}

test('a classifier and a regression: confusion matrix, per class, worst samples; predicted vs true', async ({
  page,
}) => {
  test.setTimeout(90_000);
  const errors = pageErrors(page);
  const request = page.request;
  const cls = await startRun(request, mlpRequest('iris', 3));
  const reg = mlpRequest('iris', 3);
  const nodes = reg.graph.nodes as { id: string; params: Record<string, unknown> }[];
  reg.dataset = { name: 'diabetes' };
  nodes[0].params.shape = [10];
  nodes[2].params = { units: 1 };
  nodes[3].params = { loss: 'mse', metrics: ['mae'] };
  const regId = await startRun(request, reg);
  await waitRuns(request, [cls, regId]);

  const ev = await (await request.get(`/api/runs/${cls}/artifacts/evaluation.json`)).json();
  const out = ev.outputs[0];
  await openResults(page, cls);
  const cells = page.getByTestId('confusion-cell');
  await expect(cells).toHaveCount(out.classes.length ** 2);
  for (let i = 0; i < out.classes.length; i++)
    for (let j = 0; j < out.classes.length; j++)
      await expect(page.locator(`[data-testid="confusion-cell"][data-cell="${i},${j}"]`)).toHaveText(
        String(out.confusion_matrix[i][j]),
      );
  await expect(page.getByTestId('class-row')).toHaveCount(out.per_class.length);
  await expect(page.getByTestId('worst-sample')).toHaveCount(out.worst.length);
  // a wrong cell: only its samples
  const w = out.worst[0];
  const [i, j] = [out.classes.indexOf(w.true), out.classes.indexOf(w.predicted)];
  await page.locator(`[data-testid="confusion-cell"][data-cell="${i},${j}"]`).click();
  const inCell = out.worst.filter(
    (s: { true: string; predicted: string }) => s.true === w.true && s.predicted === w.predicted,
  );
  await expect(page.getByTestId('worst-sample')).toHaveCount(inCell.length);
  await expect(page.getByTestId('worst-title')).toContainText(`${w.true} predicted as ${w.predicted}`);
  await expect(page.getByTestId('worst-sample').first()).toContainText('% sure');

  // the regression: evaluated again on demand
  await openResults(page, regId);
  await expect(page.getByTestId('pred-vs-true')).toBeVisible();
  const answer = page.waitForResponse((r) => r.url().endsWith(`/api/runs/${regId}/evaluate`));
  await page.getByTestId('evaluate-run').click();
  const fresh = await (await answer).json();
  expect(fresh.outputs[0].task).toBe('regression');
  await expect(page.getByTestId('pvt-point')).toHaveCount(fresh.outputs[0].regression.points.length);
  await expect(page.getByTestId('residual-bar')).toHaveCount(fresh.outputs[0].regression.residuals.counts.length);
  expect(errors).toEqual([]);
});
