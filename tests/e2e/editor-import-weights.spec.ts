/**
 * Import with weights: a .keras file (made by the server's own Keras export) sent whole
 * with an upload progress bar, its weight set stored (POST /api/models/import
 * ?keep_weights=true), the nodes that carry its weights marked, the set remembered with
 * the saved graph; without the option only the architecture is read. Pretrained
 * backbones: a keras.applications model with random weights opens; ImageNet weights on a
 * server without them (these machines: no network) show the server's message.
 */
import type { Page } from '@playwright/test';
import { expect, pageErrors, shot, test } from './fixtures';

/** A .keras file of a small MLP with `units` hidden units, from POST /api/models/export. */
async function kerasFile(page: Page, units: number): Promise<Buffer> {
  const graph = {
    schema_version: 1,
    name: 'small',
    nodes: [
      { id: 'input_layer', type: 'Input', params: { shape: [4] } },
      { id: 'hidden', type: 'Dense', params: { units, activation: 'relu' } },
      {
        id: 'head',
        type: 'Dense',
        params: { units: 3, activation: 'softmax' },
      },
      {
        id: 'output',
        type: 'Output',
        params: { loss: 'sparse_categorical_crossentropy' },
      },
    ],
    edges: [
      { source: 'input_layer', target: 'hidden' },
      { source: 'hidden', target: 'head' },
      { source: 'head', target: 'output' },
    ],
  };
  const res = await page.request.post('/api/models/export', {
    data: { graph, format: 'keras' },
  });
  expect(res.status(), await res.text()).toBe(200);
  return res.body();
}

async function openImport(page: Page) {
  await page.getByTestId('open-templates').click();
  await page.getByTestId('open-tab-import').click();
}

test('a .keras file imported with its weights: progress, marked nodes, remembered with the saved graph', async ({
  editor: page,
}) => {
  const errors = pageErrors(page);
  // 1.6 M parameters (about 6 MB of weights): the upload reports progress before the server answers
  const buffer = await kerasFile(page, 200_000);
  await openImport(page);
  await page.getByTestId('import-keep-weights').check();
  await page.getByTestId('import-file').setInputFiles({
    name: 'small.keras',
    mimeType: 'application/octet-stream',
    buffer,
  });
  // the bar follows the upload to its end, then waits for the server to read the weights
  await expect(page.getByTestId('import-progress')).toContainText('sent; reading the weights');
  await expect(page.getByTestId('open-dialog')).toHaveCount(0, {
    timeout: 60_000,
  });
  await expect(page.getByTestId('node-hidden').getByTestId('node-weights')).toBeVisible();
  // both Dense layers (Keras's export names the last one after its Output), not the Input or the Output
  await expect(page.locator('[data-type="Dense"] [data-testid="node-weights"]')).toHaveCount(2);
  await expect(page.locator('[data-testid="node-weights"]')).toHaveCount(2);
  const set = page.getByTestId('weight-set');
  await expect(set).toContainText('2 layers');
  const id = await set.getAttribute('data-weights-id');
  const stored = await (await page.request.get('/api/weights')).json();
  const info = stored.weight_sets.find((w: { id: string }) => w.id === id);
  expect(info.layers).toHaveLength(2);
  expect(info.layers.map((l: { name: string }) => l.name)).toContain('hidden');
  await shot(page, 'import-weights-01-marked');

  // saved with the graph: the saved version remembers the set
  await page.getByTestId('save').click();
  const name = `with weights ${Date.now()}`;
  await page.getByTestId('save-name').fill(name);
  await page.getByTestId('save-confirm').click();
  await expect(page.getByTestId('save-dialog')).toHaveCount(0);
  const graphs = (await (await page.request.get('/api/graphs')).json()).graphs as { id: string; name: string }[];
  const saved = await (await page.request.get(`/api/graphs/${graphs.find((g) => g.name === name)!.id}`)).json();
  expect(saved.graph.layout.weights.id).toBe(id);

  // forgotten: no marks, no set
  await page.getByTestId('weight-set-forget').click();
  await expect(page.locator('[data-testid="node-weights"]')).toHaveCount(0);
  await expect(page.getByTestId('weight-set')).toHaveCount(0);
  expect(errors).toEqual([]);
});

test('without the option only the architecture is read: no weight set, no marks', async ({ editor: page }) => {
  const errors = pageErrors(page);
  const buffer = await kerasFile(page, 8);
  const before = (await (await page.request.get('/api/weights')).json()).weight_sets.length;
  await openImport(page);
  await page.getByTestId('import-file').setInputFiles({
    name: 'arch.keras',
    mimeType: 'application/octet-stream',
    buffer,
  });
  await expect(page.getByTestId('open-dialog')).toHaveCount(0);
  await expect(page.getByTestId('node-hidden')).toBeVisible();
  await expect(page.locator('[data-testid="node-weights"]')).toHaveCount(0);
  await expect(page.getByTestId('weight-set')).toHaveCount(0);
  expect((await (await page.request.get('/api/weights')).json()).weight_sets.length).toBe(before);
  expect(errors).toEqual([]);
});

test('pretrained backbones: random weights open; ImageNet offline says why', async ({ editor: page }) => {
  test.setTimeout(120_000);
  const errors = pageErrors(page);
  await page.getByTestId('open-templates').click();
  await page.getByTestId('open-tab-backbones').click();
  await page.getByTestId('backbone-name').selectOption('MobileNetV2');
  await page.getByTestId('backbone-shape').fill('96, 96, 3');
  await page.getByTestId('backbone-weights').selectOption('imagenet');
  await page.getByTestId('backbone-open').click();
  const refusal = page.getByTestId('backbone-error');
  await expect(refusal).toContainText('ImageNet weights of MobileNetV2 are not in the Keras cache', {
    timeout: 60_000,
  });
  await expect(refusal).toContainText('pre-loading the Keras cache');
  await shot(page, 'import-weights-02-imagenet-offline');
  await page.getByTestId('backbone-weights').selectOption('none');
  await page.getByTestId('backbone-open').click();
  await expect(page.getByTestId('open-dialog')).toHaveCount(0, {
    timeout: 60_000,
  });
  await expect(page.locator('.react-flow__node').first()).toBeVisible();
  await expect(page.getByTestId('weight-set')).toHaveCount(0); // random weights: nothing stored
  expect(errors.filter((e) => !/503/.test(e))).toEqual([]);
});
