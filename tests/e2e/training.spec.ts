/**
 * The training dashboard against the real server (a real trainer process per run):
 * train the digits MLP and watch the charts fill; cancel a run; reload the page and
 * drop the socket during a run and see the charts continue with no gap and no repeat.
 */
import type { Page, WebSocketRoute } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, openTemplate, selectNode, shot, test } from './fixtures';

const EXAMPLES = join(__dirname, '..', '..', 'examples');

const RUN_VIEW = 'run-view';

async function openTraining(page: Page) {
  await page.getByTestId('tab-training').click();
  await expect(page.getByTestId('training-panel')).toBeVisible();
}

/** The MLP template, its Input resized to the 64 features of digits_flat, checked and ready. */
async function digitsMlp(page: Page) {
  await openTemplate(page, 'sequential_mlp_mnist');
  await openTraining(page);
  await page.getByTestId('dataset-select').selectOption('digits_flat');
  // the template expects 784 features: the check says so and Start stays disabled
  await expect(page.getByTestId('dataset-problems')).toContainText('784');
  await expect(page.getByTestId('start-run')).toBeDisabled();
  await expect(page.getByTestId('start-blocker')).toContainText('does not fit');
  await shot(page, 'training-01-dataset-mismatch');
  await selectNode(page, 'input');
  await page.getByTestId('field-shape').locator('input').fill('64');
  await expect(page.getByTestId('dataset-fits')).toBeVisible();
  await expect(page.getByTestId('start-run')).toBeEnabled();
}

async function setNumbers(page: Page, epochs: number, batchSize: number) {
  await page.getByTestId('epochs').fill(String(epochs));
  await page.getByTestId('batch-size').fill(String(batchSize));
}

const attr = async (page: Page, name: string) => Number(await page.getByTestId(RUN_VIEW).getAttribute(name));
const points = (page: Page) => attr(page, 'data-points');

/** What the REST history says the charts must hold: one point per finite metric value. */
async function expectedFromHistory(page: Page, runId: string) {
  const res = await page.request.get(`/api/runs/${runId}/events?after=0&limit=10000`);
  const events = (await res.json()).events as { type: string; metrics?: Record<string, number | null> }[];
  let pts = 0;
  for (const e of events)
    if (e.type === 'batch' || e.type === 'epoch') pts += Object.values(e.metrics ?? {}).filter((v) => typeof v === 'number').length;
  return { events: events.length, points: pts };
}

test.describe('training from the page', () => {
  test.beforeEach(({ page }) => {
    page.on('dialog', (d) => void d.accept());
  });

  test('train the digits MLP and watch the charts receive points', async ({ editor: page }) => {
    test.setTimeout(180_000);
    await digitsMlp(page);
    await setNumbers(page, 4, 32);
    await page.getByTestId('start-run').click();
    const view = page.getByTestId(RUN_VIEW);
    await expect(view).toBeVisible();
    const runId = (await view.getAttribute('data-run-id'))!;
    await expect(page.locator(`[data-testid="run-row"][data-run-id="${runId}"]`)).toBeVisible();

    await expect.poll(() => points(page), { timeout: 90_000 }).toBeGreaterThan(0);
    const first = await points(page);
    await shot(page, 'training-02-first-points');
    await expect(view).toHaveAttribute('data-status', 'succeeded', { timeout: 120_000 });
    expect(await points(page)).toBeGreaterThan(first);

    // a chart per metric with batch, train and validation series
    const loss = page.getByTestId('chart-loss');
    await expect(loss).toBeVisible();
    await expect(page.getByTestId('chart-accuracy')).toBeVisible();
    await expect(loss).toHaveAttribute('data-series', 'batch,train,val');
    await expect(page.getByTestId('charts-legend')).toContainText('validation');
    await expect(page.getByTestId('run-progress')).toContainText('Epoch 4/4');
    const expected = await expectedFromHistory(page, runId);
    expect(await points(page)).toBe(expected.points);
    expect(await attr(page, 'data-events')).toBe(expected.events);
    await expect(page.locator(`[data-testid="run-row"][data-run-id="${runId}"]`)).toHaveAttribute('data-status', 'succeeded');
    await shot(page, 'training-03-succeeded');
  });

  test('the graph as the dashboard: colour the nodes by a statistic of an epoch', async ({ editor: page }) => {
    test.setTimeout(180_000);
    await digitsMlp(page);
    await setNumbers(page, 3, 64);
    // what the run will cost, before it is queued
    await expect(page.getByTestId('memory-estimate')).toContainText('to train at batch 64');
    await page.getByTestId('layer-stats').check();
    await page.getByTestId('start-run').click();
    const view = page.getByTestId(RUN_VIEW);
    await expect(view).toHaveAttribute('data-status', 'succeeded', { timeout: 120_000 });
    await page.getByTestId('colour-by').selectOption('grad_norm');
    // every Dense node carries its gradient norm and a colour along the legend
    const stat = page.getByTestId('node-dense_1').getByTestId('node-stat');
    await expect(stat).toContainText('gradient norm');
    await expect(page.getByTestId('node-predictions').getByTestId('node-stat')).toBeVisible();
    await expect(page.getByTestId('node-input').getByTestId('node-stat')).toHaveCount(0);
    const heats = await page.getByTestId('node-stat').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-heat'))));
    expect(Math.min(...heats)).toBe(0);
    expect(Math.max(...heats)).toBe(1);
    // the timeline goes back to the first epoch; the text follows
    await expect(page.getByTestId('graph-colouring')).toContainText('epoch 3');
    const latest = await stat.textContent();
    await page.getByTestId('colour-epoch').fill('0');
    await expect(page.getByTestId('graph-colouring')).toContainText('epoch 1');
    await expect(stat).not.toHaveText(latest!);
    await shot(page, 'training-dashboard-colours');
    await page.getByTestId('colour-by').selectOption('');
    await expect(page.getByTestId('node-stat')).toHaveCount(0);
  });

  test('the form warns before queueing a run that will not fit the largest GPU, and offers a batch that does', async ({ editor: page }) => {
    // this machine has no GPU: the workers list is answered with one small GPU worker;
    // the estimate against its memory comes from the real server
    const device = { id: '0', kind: 'gpu', name: 'NVIDIA T4', memory_mb: 1, run_id: null };
    const worker = { id: 'gpu-box:1', host: 'gpu-box', devices: [device], run_id: null, run_ids: [], free_slots: 1, last_seen_s: 1 };
    await page.route('**/api/workers', (route) => route.fulfill({ json: { workers: [worker] } }));
    await digitsMlp(page);
    await setNumbers(page, 1, 8192);
    await expect(page.getByTestId('workers')).toContainText('1 worker · 1 of 1 GPUs free');
    const warning = page.getByTestId('memory-warning');
    await expect(warning).toContainText("Will not fit on gpu-box's GPU 0 (NVIDIA T4");
    const fits = Number((await warning.textContent())!.match(/batch ≤ (\d+) fits/)![1]);
    expect(fits).toBeGreaterThan(0);
    expect(fits).toBeLessThan(8192);
    await shot(page, 'training-memory-warning');
    await page.getByTestId('use-batch').click();
    await expect(page.getByTestId('batch-size')).toHaveValue(String(fits));
    await expect(warning).toHaveCount(0);
    await expect(page.getByTestId('memory-estimate')).toContainText(`to train at batch ${fits} on gpu-box's GPU 0`);
  });

  test('at 1440×900 every chart of a two-output run and its whole progress line are in view without scrolling', async ({ editor: page }) => {
    test.setTimeout(240_000);
    await page.setViewportSize({ width: 1440, height: 900 });
    await openTemplate(page, 'functional_headline_two_inputs_two_outputs');
    await openTraining(page);
    await page.getByTestId('dataset-select').selectOption('headline');
    await expect(page.getByTestId('dataset-fits')).toBeVisible();
    await setNumbers(page, 2, 64);
    await page.getByTestId('start-run').click();
    const view = page.getByTestId(RUN_VIEW);
    await expect(view).toHaveAttribute('data-status', 'succeeded', { timeout: 200_000 });
    const charts = page.locator('.tr-chart');
    // loss, each output's loss and accuracy
    await expect.poll(() => charts.count()).toBeGreaterThanOrEqual(5);
    const box = (await view.boundingBox())!;
    for (const chart of await charts.all()) {
      const b = (await chart.boundingBox())!;
      expect(b.y).toBeGreaterThanOrEqual(box.y - 1);
      expect(b.y + b.height).toBeLessThanOrEqual(Math.min(box.y + box.height, 900) + 1);
      expect(b.x + b.width).toBeLessThanOrEqual(box.x + box.width + 1);
      // a plot, not a sliver (the run page's view tabs, Charts to Export, take a row)
      expect(b.height).toBeGreaterThan(75);
    }
    for (const scroller of [view, page.getByTestId('charts')]) {
      const { scroll, client } = await scroller.evaluate((el) => ({ scroll: el.scrollHeight, client: el.clientHeight }));
      expect(scroll).toBeLessThanOrEqual(client + 1);
    }
    const line = (await page.locator('.tr-progress-text').boundingBox())!;
    expect(line.x + line.width).toBeLessThanOrEqual(box.x + box.width + 1);
    await expect(page.locator('.tr-progress-text')).toContainText('elapsed');
    await shot(page, 'training-1440x900-all-charts');
  });

  test('cancel a run', async ({ editor: page }) => {
    test.setTimeout(180_000);
    await digitsMlp(page);
    await setNumbers(page, 300, 8);
    await page.getByTestId('start-run').click();
    const view = page.getByTestId(RUN_VIEW);
    await expect.poll(() => points(page), { timeout: 90_000 }).toBeGreaterThan(0);
    await page.getByTestId('cancel-run').click();
    await expect(view).toHaveAttribute('data-status', 'cancelled', { timeout: 60_000 });
    await expect(page.getByTestId('cancel-run')).toHaveCount(0);
    const runId = (await view.getAttribute('data-run-id'))!;
    await expect(page.locator(`[data-testid="run-row"][data-run-id="${runId}"]`)).toHaveAttribute('data-status', 'cancelled');
    await shot(page, 'training-04-cancelled');
  });

  test('refresh and a dropped connection during a run: the charts continue, no reset, no gap', async ({ editor: page }) => {
    test.setTimeout(240_000);
    await digitsMlp(page);
    await setNumbers(page, 300, 8);
    await page.getByTestId('start-run').click();
    const view = page.getByTestId(RUN_VIEW);
    const runId = (await view.getAttribute('data-run-id'))!;
    await expect.poll(() => points(page), { timeout: 90_000 }).toBeGreaterThan(20);
    expect(page.url()).toContain(`run=${runId}`);

    // from now on the run's socket goes through the test, which can cut it
    const sockets: { url: string; route: WebSocketRoute }[] = [];
    await page.routeWebSocket(/\/api\/runs\/[^/]+\/stream/, (route) => {
      sockets.push({ url: route.url(), route });
      route.connectToServer();
    });
    const before = await points(page);
    await page.reload();
    await openTraining(page);
    await expect(view).toHaveAttribute('data-run-id', runId);
    // the history comes first: nothing is lost by the reload
    await expect.poll(() => points(page), { timeout: 30_000 }).toBeGreaterThanOrEqual(before);
    await expect.poll(() => sockets.length, { timeout: 30_000 }).toBeGreaterThan(0);
    expect(Number(new URL(sockets[0].url).searchParams.get('after'))).toBeGreaterThan(0);
    const afterReload = await points(page);
    await expect.poll(() => points(page), { timeout: 60_000 }).toBeGreaterThan(afterReload);
    // the editor (from its draft) and the training form keep what they held
    await expect(page.getByTestId('node-input').getByTestId('node-shape')).toHaveText('(None, 64)');
    await expect(page.getByTestId('epochs')).toHaveValue('300');
    await expect(page.getByTestId('batch-size')).toHaveValue('8');
    await expect(page.getByTestId('dataset-select')).toHaveValue('digits_flat');
    await shot(page, 'training-05-after-reload');

    // drop the connection: it reconnects from the last seq it saw
    await sockets[0].route.close({ code: 4000, reason: 'test drops the connection' });
    await expect.poll(() => sockets.length, { timeout: 30_000 }).toBeGreaterThan(1);
    const resumedAfter = Number(new URL(sockets[1].url).searchParams.get('after'));
    expect(resumedAfter).toBeGreaterThan(Number(new URL(sockets[0].url).searchParams.get('after')));
    const afterDrop = await points(page);
    await expect.poll(() => points(page), { timeout: 60_000 }).toBeGreaterThan(afterDrop);

    await page.getByTestId('cancel-run').click();
    await expect(view).toHaveAttribute('data-status', 'cancelled', { timeout: 60_000 });
    // every event exactly once: the charts hold what the server's history holds
    const expected = await expectedFromHistory(page, runId);
    expect(await points(page)).toBe(expected.points);
    expect(await attr(page, 'data-events')).toBe(expected.events);
    await shot(page, 'training-06-resumed-and-cancelled');
  });

  test('a loss that does not fit the labels is fixed from the data set check in one click', async ({ editor: page }) => {
    await digitsMlp(page);
    // ten digit classes on five output units: the check says so and offers a checked fix
    await selectNode(page, 'predictions');
    await page.getByTestId('field-units').locator('input').fill('5');
    const problems = page.getByTestId('dataset-problems');
    await expect(problems).toContainText('integer class labels from 0 to 4');
    const fix = problems.getByTestId('fix').filter({ hasText: '10 units' });
    await expect(fix).toBeVisible();
    await shot(page, 'training-07-label-fix');
    await fix.click();
    await expect(page.getByTestId('dataset-fits')).toBeVisible();
    await expect(page.getByTestId('start-run')).toBeEnabled();
    await selectNode(page, 'predictions');
    await expect(page.getByTestId('field-units').locator('input')).toHaveValue('10');
  });

  test('upload a CSV data set: pick its target column, see it checked against the model', async ({ editor: page }) => {
    await openTemplate(page, 'sequential_mlp_mnist');
    await openTraining(page);
    const rows = ['f1,f2,f3,species', ...Array.from({ length: 30 }, (_, i) => `${i / 30},${(i * 7) % 5},${i % 4},${i % 3}`)];
    const name = `tiny_e2e_${Date.now()}`; // upload names are unique per server
    await page.getByTestId('dataset-upload').setInputFiles({ name: `${name}.csv`, mimeType: 'text/csv', buffer: Buffer.from(rows.join('\n')) });
    await expect(page.getByTestId('csv-target')).toHaveValue('species');
    await page.getByTestId('csv-upload-go').click();
    await expect(page.getByTestId('dataset-select')).toHaveValue(name);
    // three features against an Input of 784: the check names the Input node
    await expect(page.getByTestId('dataset-problems')).toContainText('784');
    await expect(page.getByTestId('dataset-check')).toContainText('x 30×3');
    await expect(page.getByTestId('start-run')).toBeDisabled();
    await shot(page, 'training-07-csv-upload');
  });

  test('past runs: show one, overlay another, open the graph it trained', async ({ editor: page }) => {
    test.setTimeout(240_000);
    const graph = JSON.parse(readFileSync(join(EXAMPLES, 'sequential_mlp_mnist.json'), 'utf8'));
    graph.nodes.find((n: { id: string }) => n.id === 'input').params.shape = [64];
    graph.name = 'Digits MLP (API)';
    const ids: string[] = [];
    for (const lr of [0.01, 0.001]) {
      const res = await page.request.post('/api/runs', {
        data: { graph, dataset: { name: 'digits_flat' }, settings: { epochs: 2, batch_size: 64, optimizer: { name: 'adam', learning_rate: lr } } },
      });
      expect(res.status()).toBe(201);
      ids.push((await res.json()).id);
    }
    for (const id of ids)
      await expect
        .poll(async () => (await (await page.request.get(`/api/runs/${id}`)).json()).status, { timeout: 200_000, intervals: [1000] })
        .toBe('succeeded');

    await openTraining(page);
    const row = (id: string) => page.locator(`[data-testid="run-row"][data-run-id="${id}"]`);
    await expect(row(ids[0])).toHaveAttribute('data-status', 'succeeded');
    await row(ids[0]).locator('.tr-run-line').first().click();
    const view = page.getByTestId(RUN_VIEW);
    await expect(view).toHaveAttribute('data-run-id', ids[0]);
    await expect(view).toHaveAttribute('data-status', 'succeeded');
    expect(await points(page)).toBe((await expectedFromHistory(page, ids[0])).points);

    await row(ids[1]).getByTestId('compare-run').click();
    await expect(page.getByTestId('chart-loss')).toHaveAttribute('data-series', /val \(B\)/);
    await expect(page.getByTestId('charts-legend')).toContainText('run B (dashed)');
    await shot(page, 'training-08-overlay');

    await row(ids[1]).getByRole('button', { name: 'Open graph' }).click();
    // the editor holds the run's graph now (a copy, named after the run)
    await expect(page.getByText(`Digits MLP (API) (from run ${ids[1].slice(0, 8)})`).first()).toBeVisible();
    await expect(page.getByTestId('inspector')).toContainText(/Nodes\s*7/);
    await expect(page.getByTestId('node-input').getByTestId('node-shape')).toHaveText('(None, 64)');
    await shot(page, 'training-09-opened-run-graph');
  });
});
