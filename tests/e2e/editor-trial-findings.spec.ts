/**
 * The smaller findings of a newcomer's trial, each in the browser: where a new layer
 * lands, a layer dropped on an edge, the canvas following new layers, the Output a graph
 * lacks, LSTM port labels, a long model name, the catalogue loading on a cold start.
 */
import type { Locator, Page } from '@playwright/test';
import { expect, pageErrors, settled, test } from './fixtures';

type Box = { x: number; y: number; width: number; height: number };
const overlap = (a: Box, b: Box) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
const box = async (l: Locator) => (await l.boundingBox())!;

/** An Input of `shape`, then `type` after it from the palette (wired, selected). */
async function inputThen(page: Page, shape: string, type: string) {
  await page.getByTestId('palette-Input').click();
  await page.locator('#param-shape').fill(shape);
  await page.getByTestId(`palette-${type}`).click();
  await settled(page);
}

const edgeIds = (page: Page) =>
  page.locator('.react-flow__edge[data-id]:not([data-id^="tie:"])').evaluateAll((els) =>
    els.map((e) => e.getAttribute('data-id')).sort(),
  );

test('a layer appended after a node that already has a successor lands beside it', async ({ editor: page }) => {
  await inputThen(page, '8', 'Dense');
  await page.getByTestId('node-input').locator('.layer-head').click();
  await page.getByTestId('palette-Dense').click();
  await expect(page.getByTestId('node-dense_1')).toBeVisible();
  await settled(page);
  expect(overlap(await box(page.getByTestId('node-dense')), await box(page.getByTestId('node-dense_1')))).toBe(false);
  expect(await edgeIds(page)).toEqual(['input:0->dense:0', 'input:0->dense_1:0']);
});

test('a layer dropped on an edge is spliced into it', async ({ editor: page }) => {
  await inputThen(page, '8', 'Dense');
  const edge = page.locator('.react-flow__edge[data-id="input:0->dense:0"] path').first();
  const e = await box(edge);
  const pane = await box(page.locator('.react-flow__pane'));
  await page.getByTestId('palette-Dropout').dragTo(page.locator('.react-flow__pane'), {
    targetPosition: { x: e.x + e.width / 2 - pane.x, y: e.y + e.height / 2 - pane.y },
  });
  await expect(page.getByTestId('node-dropout')).toBeVisible();
  await expect.poll(() => edgeIds(page)).toEqual(['dropout:0->dense:0', 'input:0->dropout:0']);
});

test('the canvas follows layers added below the view', async ({ editor: page }) => {
  await inputThen(page, '8', 'Dense');
  for (let i = 1; i <= 8; i++) {
    await page.getByTestId('palette-Dense').click();
    await expect(page.getByTestId(`node-dense_${i}`)).toBeVisible();
  }
  await page.waitForTimeout(400); // the pan is animated
  const canvas = await box(page.getByTestId('canvas'));
  const last = await box(page.getByTestId('node-dense_8'));
  expect(last.y).toBeGreaterThanOrEqual(canvas.y);
  expect(last.y + last.height).toBeLessThanOrEqual(canvas.y + canvas.height);
});

test('a graph without an Output offers to add one after its last layer', async ({ editor: page }) => {
  const errors = pageErrors(page);
  await inputThen(page, '8', 'Dense');
  const offer = page.getByTestId('problems').getByTestId('add-output').first();
  await expect(offer).toHaveText('＋ Output after dense');
  await offer.click();
  await expect(page.getByTestId('node-output')).toBeVisible();
  expect(await edgeIds(page)).toEqual(['dense:0->output:0', 'input:0->dense:0']);
  await expect(page.getByTestId('check-status')).toContainText('✓');
  await expect(page.getByTestId('add-output')).toHaveCount(0);
  expect(errors).toEqual([]);
});

test("LSTM's port labels do not print over each other", async ({ editor: page }) => {
  await inputThen(page, '8, 16', 'LSTM');
  const labels = page.getByTestId('node-lstm').locator('.port-label');
  await expect(labels).toHaveCount(4);
  await expect(labels).toHaveText(['input', 'initial_state_h', 'initial_state_c', 'mask']);
  const boxes = await Promise.all([0, 1, 2, 3].map((i) => box(labels.nth(i))));
  for (let i = 0; i < 4; i++) for (let j = i + 1; j < 4; j++) expect(overlap(boxes[i], boxes[j]), `${i}/${j}`).toBe(false);
});

test('a long model name does not wrap the toolbar', async ({ editor: page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  const toolbar = page.locator('.toolbar');
  const before = (await box(toolbar)).height;
  await page.locator('#graph-name').fill('A model with a very long name that someone typed to say everything about it '.repeat(2));
  await expect(page.locator('.toolbar .title')).toContainText('A model with a very long name');
  expect((await box(toolbar)).height).toBe(before);
});

test('a cold start shows the catalogue loading', async ({ page }) => {
  let release: () => void = () => undefined;
  const held = new Promise<void>((r) => (release = r));
  await page.route('**/api/layers', async (route) => {
    await held;
    await route.continue();
  });
  await page.goto('/');
  await expect(page.getByTestId('palette-loading')).toBeVisible();
  await expect(page.getByTestId('palette-search')).toHaveAttribute('placeholder', 'Loading layers…');
  release();
  await expect(page.getByTestId('palette-Dense')).toBeVisible();
  await expect(page.getByTestId('palette-loading')).toHaveCount(0);
  await expect(page.getByTestId('palette-search')).toHaveAttribute('placeholder', /Search \d+ layers/);
});
