/**
 * A run's results page against the real server: a classifier's confusion matrix (a
 * cell's listed samples on click, wrong or right, with their classes and confidence),
 * per-class scores and most confidently wrong rows, all as in its evaluation.json; a
 * regression's predicted-vs-true points and residuals, computed again on demand
 * (POST /api/runs/{id}/evaluate).
 */
import type { Page } from "@playwright/test";
import { expect, pageErrors, test } from "./fixtures";
import { mlpRequest, startRun, waitRuns } from "./experiments";

type Listed = {
  index: number;
  true: string;
  predicted: string;
  confidence: number;
};
type Cell = { true: number; predicted: number; samples: Listed[] };

async function openResults(page: Page, runId: string) {
  await page.goto(`/#run=${runId}`);
  await page.reload(); // a change of hash alone is no new page: the run shown is read at load
  await expect(page.getByTestId("run-view")).toHaveAttribute(
    "data-run-id",
    runId,
  );
  await expect(page.getByTestId("run-view")).toHaveAttribute(
    "data-status",
    "succeeded",
  );
  await page.getByTestId("run-page-results").click();
}

test("a classifier and a regression: confusion matrix with each cell's samples, per class, worst samples; predicted vs true", async ({
  page,
}) => {
  test.setTimeout(90_000);
  const errors = pageErrors(page);
  const request = page.request;
  const cls = await startRun(request, mlpRequest("digits_flat", 1)); // 10 classes, many mistakes
  const reg = mlpRequest("iris", 3);
  const nodes = reg.graph.nodes as {
    id: string;
    params: Record<string, unknown>;
  }[];
  reg.dataset = { name: "diabetes" };
  nodes[0].params.shape = [10];
  nodes[2].params = { units: 1 };
  nodes[3].params = { loss: "mse", metrics: ["mae"] };
  const regId = await startRun(request, reg);
  await waitRuns(request, [cls, regId]);

  const ev = await (
    await request.get(`/api/runs/${cls}/artifacts/evaluation.json`)
  ).json();
  const out = ev.outputs[0];
  await openResults(page, cls);
  await expect(page.getByTestId("confusion-cell")).toHaveCount(
    out.classes.length ** 2,
  );
  for (let i = 0; i < out.classes.length; i++)
    for (let j = 0; j < out.classes.length; j++)
      await expect(
        page.locator(`[data-testid="confusion-cell"][data-cell="${i},${j}"]`),
      ).toHaveText(String(out.confusion_matrix[i][j]));
  await expect(page.getByTestId("class-row")).toHaveCount(out.per_class.length);
  await expect(page.getByTestId("result-sample")).toHaveCount(out.worst.length);

  // a cell's own samples, the most confident first: a wrong cell with samples the worst
  // list lacks (so not found among them), then a right one
  const matrix: number[][] = out.confusion_matrix;
  const cells: Cell[] = out.cells;
  const inWorst = new Set(out.worst.map((s: Listed) => s.index));
  const beyond = (c: Cell) =>
    c.samples.filter((s) => !inWorst.has(s.index)).length;
  const wrong = cells
    .filter((c) => c.true !== c.predicted)
    .sort((a, b) => beyond(b) - beyond(a))[0];
  expect(beyond(wrong)).toBeGreaterThan(0);
  const right = cells.find((c) => c.true === c.predicted)!;
  for (const cell of [wrong, right]) {
    const [i, j] = [cell.true, cell.predicted];
    expect(cell.samples.length).toBe(Math.min(8, matrix[i][j]));
    await page
      .locator(`[data-testid="confusion-cell"][data-cell="${i},${j}"]`)
      .click();
    const shown = page.getByTestId("result-sample");
    await expect(shown).toHaveCount(cell.samples.length);
    const title =
      i === j
        ? `${out.classes[i]} predicted rightly`
        : `${out.classes[i]} predicted as ${out.classes[j]}`;
    await expect(page.getByTestId("samples-title")).toContainText(
      `${title}: ${matrix[i][j]} sample`,
    );
    for (const [k, s] of cell.samples.entries()) {
      await expect(shown.nth(k)).toHaveAttribute("data-index", String(s.index));
      await expect(shown.nth(k)).toContainText(
        i === j
          ? `${s.true} predicted rightly`
          : `${s.true} taken for ${s.predicted}`,
      );
      await expect(shown.nth(k)).toContainText(
        `${(s.confidence * 100).toFixed(1)} % sure`,
      );
    }
  }

  // the regression: evaluated again on demand
  await openResults(page, regId);
  await expect(page.getByTestId("pred-vs-true")).toBeVisible();
  const answer = page.waitForResponse((r) =>
    r.url().endsWith(`/api/runs/${regId}/evaluate`),
  );
  await page.getByTestId("evaluate-run").click();
  const fresh = await (await answer).json();
  expect(fresh.outputs[0].task).toBe("regression");
  await expect(page.getByTestId("pvt-point")).toHaveCount(
    fresh.outputs[0].regression.points.length,
  );
  await expect(page.getByTestId("residual-bar")).toHaveCount(
    fresh.outputs[0].regression.residuals.counts.length,
  );
  expect(errors).toEqual([]);
});
