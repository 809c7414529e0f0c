/**
 * Building by hand is comfortable: a layer added from the palette (click or keyboard)
 * with a node selected lands under it, connected, with room for the edge label; ports
 * keep a minimum size on screen when zoomed out; the dock can be resized.
 */
import { expect, openTemplate, selectNode, shot, test } from './fixtures';

test('adding with a node selected connects it and places it under, with room', async ({ editor: page }) => {
  await page.getByTestId('palette-search').fill('Input');
  await page.getByTestId('palette-Input').focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('node-input')).toBeVisible();
  await page.getByTestId('palette-search').fill('Dense');
  await page.getByTestId('palette-Dense').click();
  await expect(page.getByTestId('node-dense')).toBeVisible();
  const edges = page.locator('.react-flow__edge[data-id]:not([data-id^="tie:"])');
  await expect(edges).toHaveCount(1);
  await expect(edges.first()).toHaveAttribute('data-id', 'input:0->dense:0');
  const a = (await page.getByTestId('node-input').boundingBox())!;
  const b = (await page.getByTestId('node-dense').boundingBox())!;
  expect(Math.abs(a.x - b.x)).toBeLessThan(2);
  expect(b.y - (a.y + a.height)).toBeGreaterThan(40); // room for the shape label
  // a second layer added with the input selected: a second branch from it
  await selectNode(page, 'input');
  await page.locator('#param-shape').fill('8');
  await page.getByTestId('palette-Dense').click();
  await expect(edges).toHaveCount(2);
  await expect(edges.nth(1)).toHaveAttribute('data-id', 'input:0->dense_1:0');
  // the shape label sits between the input and the first dense, on neither
  await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
  const label = page.locator('.react-flow__edge-text', { hasText: '(None, 8)' }).first();
  await expect(label).toBeVisible();
  const l = (await label.boundingBox())!;
  expect(l.y).toBeGreaterThan(a.y + a.height - 1);
  expect(l.y + l.height).toBeLessThan(b.y + 1);
  await shot(page, 'comfort-01-added-under-connected');
});

test('ports stay at least about 10 px on screen when zoomed out; the dock resizes', async ({ editor: page }) => {
  await openTemplate(page, 'sequential_mlp_mnist');
  const port = page.locator('[data-id="dense_1"] [data-handleid="in-0"]');
  for (let i = 0; i < 6; i++) await page.locator('.react-flow__controls-zoomout').click();
  await page.waitForTimeout(300);
  const zoom = await page.locator('.react-flow__viewport').evaluate((el) => new DOMMatrix(getComputedStyle(el).transform).a);
  expect(zoom).toBeLessThan(0.5);
  const box = (await port.boundingBox())!;
  expect(box.width).toBeGreaterThanOrEqual(9.5);
  await shot(page, 'comfort-02-zoomed-out-ports');

  const dock = page.getByTestId('dock');
  const before = (await dock.boundingBox())!.height;
  await page.getByTestId('dock-resize').focus();
  for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowUp');
  await expect.poll(async () => (await dock.boundingBox())!.height).toBeGreaterThan(before + 100);
  const h = (await dock.boundingBox())!;
  await page.mouse.move(h.x + 200, h.y + 1);
  await page.mouse.down();
  await page.mouse.move(h.x + 200, h.y + 81, { steps: 4 });
  await page.mouse.up();
  await expect.poll(async () => (await dock.boundingBox())!.height).toBeLessThan(h.height - 60);
  await page.reload();
  await expect.poll(async () => Math.round((await dock.boundingBox())!.height)).toBe(Math.round(h.height - 80));
});
