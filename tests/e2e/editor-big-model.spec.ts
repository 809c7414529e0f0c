/**
 * A big imported model is readable: MobileNetV2 (about 155 layers, residual skips) is
 * laid out by ELK with ports, so blocks sit side by side where they branch, the skip
 * connections run in lanes of their own beside the column, and no node covers another.
 */
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, shot, test } from './fixtures';

const ROOT = resolve(__dirname, '..', '..');

function mobileNetJson(): string {
  return execFileSync(
    join(ROOT, '.venv', 'bin', 'python'),
    ['-c', 'import keras; print(keras.applications.MobileNetV2(weights=None).to_json())'],
    { encoding: 'utf8', env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' }, maxBuffer: 64 << 20 },
  );
}

interface Layout {
  nodes: { id: string; type: string }[];
  layout: { positions: Record<string, { x: number; y: number }>; routes?: Record<string, unknown>; collapsed?: string[] };
}

const root = (page: Page) =>
  page.evaluate(() => (window as unknown as { __layerforge: { store: { getState(): { root: unknown } } } }).__layerforge.store.getState().root) as Promise<Layout>;

/** No two nodes on screen cover each other. */
async function expectNoOverlap(page: Page) {
  const boxes = await page.locator('.react-flow__node-layer').evaluateAll((els) =>
    els.map((e) => e.getBoundingClientRect()).map((r) => ({ x: r.x, y: r.y, w: r.width, h: r.height })),
  );
  expect(boxes.length).toBeGreaterThan(3);
  for (let i = 0; i < boxes.length; i++)
    for (let j = i + 1; j < boxes.length; j++) {
      const [a, b] = [boxes[i], boxes[j]];
      const overlap = a.x < b.x + b.w - 1 && b.x < a.x + a.w - 1 && a.y < b.y + b.h - 1 && b.y < a.y + a.h - 1;
      expect(overlap, `nodes ${i} and ${j} overlap`).toBe(false);
    }
}

test('an imported MobileNetV2 opens as its blocks; a block expands with its skip drawn beside it', async ({
  editor: page,
}) => {
  test.setTimeout(180_000);
  const json = mobileNetJson();
  await page.getByRole('button', { name: 'Import' }).click();
  await page.locator('#import-json').fill(json);
  await page.getByRole('button', { name: 'Import JSON' }).click();
  await expect(page.getByTestId('open-dialog')).toHaveCount(0, { timeout: 60_000 });
  await expect(page.getByTestId('check-status')).toContainText('functional', { timeout: 90_000 });

  // past 150 nodes the blocks (block_1 ... block_16) start collapsed, each one node
  const g = await root(page);
  expect(g.nodes.length).toBeGreaterThan(150);
  expect(g.layout.collapsed).toHaveLength(16);
  const block2 = page.getByTestId('node-block:block_2');
  await page.getByRole('button', { name: 'Fit to view' }).click();
  await expect(block2).toBeVisible();
  await expect(block2).toContainText('9 layers');
  await expect(block2.getByTestId('node-params')).toHaveText('9,456 p'); // Keras: the sum of its 9 layers
  await expect(block2.getByTestId('node-shape')).toHaveText('(None, 56, 56, 24)');
  await shot(page, 'big-01-mobilenetv2-collapsed');
  await expectNoOverlap(page);

  // expand block_2: its layers come back, laid out again, the residual skip in a lane
  await block2.getByTestId('block-expand').click();
  await expect(page.getByTestId('node-block:block_2')).toHaveCount(0);
  await expect
    .poll(async () => Object.keys((await root(page)).layout.routes ?? {}).filter((k) => k.includes('->block_2_add:')))
    .toHaveLength(1);
  await page.evaluate(() =>
    (window as unknown as { __layerforge: { store: { getState(): { focusNode(id: string): void } } } }).__layerforge.store
      .getState()
      .focusNode('block_2_add'),
  );
  await page.waitForTimeout(800);
  await expect(page.locator('.react-flow__edge-path.edge-routed').first()).toBeVisible();
  await expectNoOverlap(page);
  // a frame around the expanded block, with its name, size and parameters
  const frame = page.getByTestId('frame-block_2');
  await expect(frame).toBeVisible();
  await expect(frame).toContainText('9 layers · 9,456 p');
  const f = (await frame.boundingBox())!;
  for (const id of ['block_2_project_BN', 'block_2_add']) {
    const n = (await page.getByTestId(`node-${id}`).boundingBox())!;
    expect(n.x >= f.x && n.y >= f.y && n.x + n.width <= f.x + f.width && n.y + n.height <= f.y + f.height, id).toBe(true);
  }
  await shot(page, 'big-02-mobilenetv2-block-expanded');

  // and it collapses again from a layer's menu
  await page.getByTestId('node-block_2_add').locator('.layer-head').click({ button: 'right' });
  await page.getByRole('button', { name: 'Collapse block “block_2”' }).click();
  await expect(page.getByTestId('node-block:block_2')).toBeVisible();
  await expect(frame).toHaveCount(0);
  // or from its frame
  await page.getByTestId('node-block:block_2').getByTestId('block-expand').click();
  await frame.getByTestId('block-collapse').click();
  await expect(page.getByTestId('node-block:block_2')).toBeVisible();
  await expect(frame).toHaveCount(0);
});
