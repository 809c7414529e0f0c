/**
 * The diff on the canvas (POST /api/graphs/diff): two saved versions, the graph as drawn
 * against a version, two runs with their curves beside it; added green, removed red
 * ghosts, changed amber with the old values on hover, rewired edges; Escape or "Leave
 * diff" goes back to the editor's canvas.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, pageErrors, shot, test } from './fixtures';
import { mlpRequest, startRun, waitRuns } from './experiments';

const EXAMPLES = join(__dirname, '..', '..', 'examples');

type G = {
  name: string;
  nodes: { id: string; type: string; params: Record<string, unknown> }[];
  edges: { source: string; target: string }[];
  layout?: unknown;
};

/** The MNIST MLP, and a second version: dense_1 with 32 units, dropout_2 gone, a BatchNormalization after dense_1. */
function versions(name: string): [G, G] {
  const a = JSON.parse(readFileSync(join(EXAMPLES, 'sequential_mlp_mnist.json'), 'utf8')) as G;
  a.name = name;
  const b = JSON.parse(JSON.stringify(a)) as G;
  b.nodes.find((n) => n.id === 'dense_1')!.params.units = 32;
  b.nodes = b.nodes.filter((n) => n.id !== 'dropout_2');
  b.nodes.push({ id: 'bn', type: 'BatchNormalization', params: {} });
  b.edges = b.edges.filter((e) => e.source !== 'dropout_2' && e.target !== 'dropout_2' && e.source !== 'dense_1');
  b.edges.push(
    { source: 'dense_1', target: 'bn' },
    { source: 'bn', target: 'dropout_1' },
    { source: 'dense_2', target: 'predictions' },
  );
  return [a, b];
}

async function saveTwoVersions(page: Page, name: string): Promise<string> {
  const [a, b] = versions(name);
  const created = await page.request.post('/api/graphs', {
    data: { name, graph: a },
  });
  expect(created.status(), await created.text()).toBe(201);
  const id = (await created.json()).id as string;
  const put = await page.request.put(`/api/graphs/${id}`, {
    data: { name, graph: b, base_version: 1 },
  });
  expect(put.status(), await put.text()).toBe(200);
  return id;
}

async function pickSaved(page: Page, side: 'A' | 'B', id: string, version: number) {
  await page.getByTestId(`diff-${side}-kind`).selectOption('saved');
  await page.getByTestId(`diff-${side}-graph`).selectOption(id);
  await expect(page.getByTestId(`diff-${side}-version`).locator(`option[value="${version}"]`)).toHaveCount(1);
  await page.getByTestId(`diff-${side}-version`).selectOption(String(version));
}

test('two saved versions: added, removed, changed and rewired on the canvas; leave with the button or Escape', async ({
  editor: page,
}) => {
  const errors = pageErrors(page);
  const name = `diff-${Date.now()}`;
  const id = await saveTwoVersions(page, name);
  await page.getByTestId('diff-open').click();
  await pickSaved(page, 'A', id, 1);
  await pickSaved(page, 'B', id, 2);
  await page.getByTestId('diff-show').click();
  await expect(page.getByTestId('diff-dialog')).toHaveCount(0);
  const diff = page.getByTestId('diff-canvas');
  await expect(diff.getByTestId('node-bn')).toHaveClass(/diff-added/);
  await expect(diff.getByTestId('node-bn').getByTestId('node-diff')).toHaveText('added');
  const ghost = diff.getByTestId('node-ghost~dropout_2');
  await expect(ghost).toHaveClass(/diff-removed/);
  await expect(ghost).toContainText('Dropout');
  const changed = diff.getByTestId('node-dense_1');
  await expect(changed).toHaveClass(/diff-changed/);
  // the old value on hover (and on the card): units, the parameter count, the output shape
  await expect(changed).toHaveAttribute('title', /units: 64 → 32/);
  await expect(changed).toHaveAttribute('title', /params: 50,240 → 25,120/);
  await expect(changed).toHaveAttribute('title', /output: \(None, 64\) → \(None, 32\)/);
  await expect(diff.getByTestId('node-dense_2')).toHaveAttribute('title', /params: 4,160 → 2,112/);
  await expect(diff.getByTestId('node-input')).toHaveClass(/diff-same/);
  await expect(diff.locator('.react-flow__edge.diff-edge-added')).toHaveCount(3);
  await expect(diff.locator('.react-flow__edge.diff-edge-removed')).toHaveCount(3);
  // a removed edge ends at the ghost, where the node was
  await expect(diff.locator('.react-flow__edge.diff-edge-removed[data-id*="ghost~dropout_2"]')).toHaveCount(2);
  await expect(page.getByTestId('diff-params')).toContainText('55,050 → 28,010');
  await expect(page.getByTestId('diff-summary')).toContainText('+1 added');
  await expect(page.getByTestId('diff-list-changed')).toContainText('dense_1: units');
  // the ghost sits clear of the nodes drawn
  const g = (await ghost.boundingBox())!;
  for (const other of ['node-bn', 'node-dropout_1', 'node-dense_2']) {
    const o = (await diff.getByTestId(other).boundingBox())!;
    const apart = g.x + g.width <= o.x || o.x + o.width <= g.x || g.y + g.height <= o.y || o.y + o.height <= g.y;
    expect(apart, `ghost overlaps ${other}`).toBe(true);
  }
  await shot(page, 'diff-01-versions');
  await page.getByTestId('diff-close').click();
  await expect(diff).toHaveCount(0);

  // version 1 against the graph as drawn (empty here): all of it removed; Escape leaves
  await page.getByTestId('diff-open').click();
  await pickSaved(page, 'A', id, 1);
  await page.getByTestId('diff-show').click();
  await expect(page.getByTestId('diff-canvas').getByTestId('node-bn')).toHaveCount(0); // the drawn graph is empty
  await expect(page.getByTestId('diff-canvas').getByTestId('node-ghost~dense_1')).toHaveClass(/diff-removed/);
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('diff-canvas')).toHaveCount(0);
  await expect(page.getByTestId('canvas')).toBeVisible();
  expect(errors).toEqual([]);
});

test('a bad side says what is wrong and shows no diff', async ({ editor: page }) => {
  const errors = pageErrors(page);
  const name = `diff-gone-${Date.now()}`;
  const id = await saveTwoVersions(page, name);
  await page.getByTestId('diff-open').click();
  await pickSaved(page, 'A', id, 2);
  // deleted after the dialog listed it
  expect((await page.request.delete(`/api/graphs/${id}`)).status()).toBeLessThan(300);
  await page.getByTestId('diff-show').click();
  await expect(page.getByTestId('diff-error')).toBeVisible();
  await expect(page.getByTestId('diff-canvas')).toHaveCount(0);
  expect(errors.filter((e) => !/404|Failed to load resource/.test(e))).toEqual([]);
});

test('two runs: the diff of the graphs they trained beside their curves', async ({ editor: page }) => {
  test.setTimeout(240_000);
  const errors = pageErrors(page);
  const a = await startRun(page.request, mlpRequest('iris', 3, 8));
  const b = await startRun(page.request, mlpRequest('iris', 3, 16));
  await waitRuns(page.request, [a, b]);
  await page.getByTestId('diff-open').click();
  await page.getByTestId('diff-A-kind').selectOption('run');
  await page.getByTestId('diff-A-run').selectOption(a);
  await page.getByTestId('diff-B-kind').selectOption('run');
  await page.getByTestId('diff-B-run').selectOption(b);
  await page.getByTestId('diff-show').click();
  const diff = page.getByTestId('diff-canvas');
  await expect(diff.getByTestId('node-hidden')).toHaveAttribute('title', /units: 8 → 16/);
  await expect(diff.getByTestId('node-head')).toHaveClass(/diff-changed/); // its count follows
  const curves = page.getByTestId('diff-curves');
  await expect(curves.getByTestId('chart-loss')).toHaveAttribute('data-series', /\(B\)/);
  await expect(curves.getByTestId('chart-loss')).not.toHaveAttribute('data-points', '0');
  await shot(page, 'diff-02-runs');
  await page.getByTestId('diff-close').click();
  await expect(diff).toHaveCount(0);
  expect(errors).toEqual([]);
});
