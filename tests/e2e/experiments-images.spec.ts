/**
 * Image sets from the page against the real server: a .zip of class folders (BMPs the
 * test draws) uploaded with its size, colour mode and validation split, then the class
 * counts and a grid of thumbnails per class.
 */
import { zipSync } from 'fflate';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bmp, expect, pageErrors, test } from './fixtures';

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
