/**
 * Image sets from the page against the real server: a .zip of class folders (BMPs the
 * test draws) uploaded with its size, colour mode and validation split, then the class
 * counts and a grid of thumbnails per class.
 */
import { zipSync } from 'fflate';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, pageErrors, test } from './fixtures';

/** A w×h 24-bit BMP of one colour. */
function bmp(w: number, h: number, [r, g, b]: [number, number, number]): Uint8Array {
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
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) buf.set([b, g, r], 54 + y * row + x * 3);
  return new Uint8Array(buf);
}

test('upload a zip of class folders, see counts and thumbnails per class', async ({ editor: page }) => {
  test.setTimeout(60_000);
  const errors = pageErrors(page);
  const counts = { cats: 5, dogs: 3 };
  const files: Record<string, Uint8Array> = {};
  for (const [cls, n] of Object.entries(counts))
    for (let i = 0; i < n; i++) files[`${cls}/${i}.bmp`] = bmp(12, 10, cls === 'cats' ? [200, 40, 40] : [40, 40, 200]);
  const zip = join(tmpdir(), `pets-${Date.now()}.zip`);
  writeFileSync(zip, zipSync(files));
  const name = `pets_${Date.now()}`;

  await page.getByTestId('tab-datasets').click();
  await page.getByTestId('images-file').setInputFiles(zip);
  await page.getByTestId('images-name').fill(name);
  await page.getByTestId('images-imageHeight').fill('32');
  await page.getByTestId('images-imageWidth').fill('24');
  await page.getByTestId('images-color').selectOption('grayscale');
  await page.getByTestId('images-validationSplit').fill('0.25');
  const answer = page.waitForResponse((r) => r.url().endsWith('/api/datasets') && r.request().method() === 'POST');
  await page.getByTestId('images-upload-go').click();
  const info = await (await answer).json();
  expect(info).toMatchObject({ kind: 'images', classes: ['cats', 'dogs'], counts, image_size: [32, 24] });
  expect(info.color_mode).toBe('grayscale');
  expect(info.validation_split).toBe(0.25);

  const set = page.locator(`[data-testid="images-set"][data-name="${name}"]`);
  await expect(set).toBeVisible();
  for (const [cls, n] of Object.entries(counts)) {
    await expect(set.locator(`[data-testid="images-count"][data-class="${cls}"]`)).toContainText(String(n));
    await expect(set.locator(`[data-testid="class-thumbs"][data-class="${cls}"] img`)).toHaveCount(n);
  }
  const src = await set.locator('[data-testid="class-thumbs"] img').first().getAttribute('src');
  expect(src).toMatch(/^data:image\/jpeg;base64,/); // opaque images: JPEG thumbnails
  await expect(page.getByTestId('images-progress')).toHaveCount(0);
  expect(errors).toEqual([]);
});
