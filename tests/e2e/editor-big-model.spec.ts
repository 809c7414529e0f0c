/**
 * A big imported model is readable: MobileNetV2 (about 155 layers, residual skips) is
 * laid out by ELK with ports, so blocks sit side by side where they branch, the skip
 * connections run in lanes of their own beside the column, and no node covers another.
 */
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
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
  edges: { source: string; target: string }[];
  layout: { positions: Record<string, { x: number; y: number }>; routes?: Record<string, unknown> };
}

test('an imported MobileNetV2 is laid out with visible skip connections', async ({ editor: page }) => {
  test.setTimeout(180_000);
  const json = mobileNetJson();
  await page.getByRole('button', { name: 'Import' }).click();
  await page.locator('#import-json').fill(json);
  await page.getByRole('button', { name: 'Import JSON' }).click();
  await expect(page.getByTestId('open-dialog')).toHaveCount(0, { timeout: 60_000 });
  await expect(page.getByTestId('check-status')).toContainText('functional', { timeout: 90_000 });

  const graph = await page.evaluate(() => (window as any).__layerforge.store.getState().root as unknown); // eslint-disable-line
  const g = graph as Layout;
  await expect
    .poll(async () => Object.keys(((await page.evaluate(() => (window as any).__layerforge.store.getState().root)) as Layout).layout.routes ?? {}).length) // eslint-disable-line
    .toBeGreaterThan(5);
  const laid = (await page.evaluate(() => (window as any).__layerforge.store.getState().root)) as Layout; // eslint-disable-line
  const pos = laid.layout.positions;
  expect(Object.keys(pos)).toHaveLength(g.nodes.length);
  // each residual Add has one input beside the main column: not one single column
  expect(new Set(Object.values(pos).map((p) => p.x)).size).toBeGreaterThan(1);
  // every skip into an Add node has a kept route
  const adds = new Set(laid.nodes.filter((n) => n.type === 'Add').map((n) => n.id));
  expect(adds.size).toBe(10);
  const routes = Object.keys(laid.layout.routes ?? {});
  for (const add of adds) expect(routes.some((k) => k.includes(`->${add}:`))).toBe(true);
  // no two nodes overlap (190 px wide, at least ~60 px tall)
  const list = Object.values(pos).sort((a, b) => a.y - b.y || a.x - b.x);
  for (let i = 0; i < list.length; i++)
    for (let j = i + 1; j < list.length && list[j].y - list[i].y < 60; j++)
      expect(Math.abs(list[j].x - list[i].x)).toBeGreaterThanOrEqual(190);

  // look at a residual block up close: the skip is drawn in its lane
  await page.evaluate(() => (window as any).__layerforge.store.getState().focusNode('block_2_add')); // eslint-disable-line
  await page.waitForTimeout(800);
  await expect(page.locator('.react-flow__edge-path.edge-routed').first()).toBeVisible();
  await shot(page, 'big-01-mobilenetv2-residual-block');
});
