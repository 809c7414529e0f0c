/** Shared helpers for the editor's browser tests. */
import { expect, test as base, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const SCREENSHOTS = resolve(__dirname, '..', '..', 'test-results', 'screenshots');
mkdirSync(SCREENSHOTS, { recursive: true });

export const test = base.extend<{ editor: Page }>({
  baseURL: async ({}, use) => use(process.env.LAYERFORGE_E2E_URL),
  editor: async ({ page }, use) => {
    await page.goto('/');
    await expect(page.getByTestId('palette-Dense')).toBeVisible();
    await use(page);
  },
});
export { expect };

/**
 * Collect what would blank or break the page: uncaught errors and console errors.
 * A test ends with `expect(errors).toEqual([])`.
 */
export function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  return errors;
}

export async function shot(page: Page, name: string) {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
}

/** Drag a layer from the palette onto the canvas at (x, y) relative to the canvas. */
export async function dropLayer(page: Page, type: string, x: number, y: number) {
  const search = page.getByTestId('palette-search');
  await search.fill(type);
  const item = page.getByTestId(`palette-${type}`);
  const canvas = page.locator('.react-flow__pane');
  const before = await page.locator('.react-flow__node').count();
  await item.dragTo(canvas, { targetPosition: { x, y } });
  await expect(page.locator('.react-flow__node')).toHaveCount(before + 1);
  await search.fill('');
}

/** The MNIST MLP template set up for the offline digits set (64 features) in the
 * Training tab, its data set check passed. */
export async function digitsMlp(page: Page) {
  await openTemplate(page, 'sequential_mlp_mnist');
  await page.getByTestId('tab-training').click();
  await page.getByTestId('dataset-select').selectOption('digits_flat');
  await selectNode(page, 'input');
  await page.getByTestId('field-shape').locator('input').fill('64');
  await expect(page.getByTestId('dataset-fits')).toBeVisible();
}

/** Add a layer under the one selected (a palette click connects it there). */
export async function addLayer(page: Page, type: string) {
  await page.getByTestId('palette-search').fill(type);
  await page.getByTestId(`palette-${type}`).click();
  await page.getByTestId('palette-search').fill('');
}

export type RGB = [number, number, number];

/** A w×h 24-bit BMP (an image file the tests draw without an image library): `fill`
 * everywhere but its top-left quarter, which is `corner`. */
export function bmp(w: number, h: number, fill: RGB, corner: RGB = fill): Uint8Array {
  const row = Math.ceil((w * 3) / 4) * 4;
  const size = 54 + row * h;
  const buf = Buffer.alloc(size);
  buf.write('BM', 0);
  buf.writeUInt32LE(size, 2);
  buf.writeUInt32LE(54, 10);
  buf.writeUInt32LE(40, 14);
  buf.writeInt32LE(w, 18);
  buf.writeInt32LE(h, 22);
  buf.writeUInt16LE(1, 26);
  buf.writeUInt16LE(24, 28);
  buf.writeUInt32LE(row * h, 34);
  // rows are stored bottom-up: y = h - 1 is the top row
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const [r, g, b] = x < w / 2 && y >= h / 2 ? corner : fill;
      buf.set([b, g, r], 54 + y * row + x * 3);
    }
  return new Uint8Array(buf);
}

/**
 * Wait until the live check has answered the last edit: nodes change size when their
 * marks change, so ports must be measured after that.
 */
export async function settled(page: Page) {
  await page.waitForTimeout(250); // past the 150 ms debounce
  await expect(page.locator('.toolbar .spinner')).toHaveCount(0);
}

/** Connect output `outPort` of node `from` to input `inPort` of node `to` by dragging. */
export async function connectPorts(page: Page, from: string, to: string, outPort = 0, inPort = 0) {
  await settled(page);
  const src = page.locator(`[data-id="${from}"] [data-handleid="out-${outPort}"]`);
  const dst = page.locator(`[data-id="${to}"] [data-handleid="in-${inPort}"]`);
  const a = (await src.boundingBox())!;
  const b = (await dst.boundingBox())!;
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 5 });
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 5 });
  await page.mouse.up();
}

export async function openTemplate(page: Page, name: string) {
  await page.getByTestId('open-templates').click();
  await page.getByTestId(`template-${name}`).click();
  await expect(page.getByTestId('open-dialog')).toHaveCount(0);
}

/** Select a node by clicking its header. */
export async function selectNode(page: Page, id: string) {
  await page.getByTestId(`node-${id}`).locator('.layer-head').click();
  await expect(page.getByTestId('inspector-node')).toBeVisible();
}

/** The total parameter count shown in the toolbar once the check has settled. */
export async function totalParams(page: Page): Promise<number> {
  const text = await page.getByTestId('total-params').innerText();
  return Number(text.replace(/[^\d]/g, ''));
}
