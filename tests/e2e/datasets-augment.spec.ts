/**
 * The augmentation preview against the real server: an image set uploaded from the page
 * (BMPs the test draws, each with a corner of another colour, so a flip or a rotation
 * shows), the server's refusal for a graph without augmentation layers, then a graph with
 * RandomFlip and RandomRotation: from the RandomRotation node's inspector and from the
 * image set's page, eight augmented images drawn beside their originals, and not equal to
 * them.
 */
import type { Locator } from '@playwright/test';
import { zipSync } from 'fflate';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addLayer, bmp, expect, pageErrors, selectNode, settled, shot, test } from './fixtures';

/** Eight augmented images drawn (decoded, not blank), each unlike its original. */
async function expectEightAugmented(preview: Locator) {
  const augmented = preview.getByTestId('augment-augmented');
  await expect(augmented).toHaveCount(8, { timeout: 60_000 });
  await expect(preview.getByTestId('augment-original')).toHaveCount(8);
  const drawn = await augmented.evaluateAll((imgs) =>
    (imgs as HTMLImageElement[]).map((i) => i.complete && i.naturalWidth > 0 && i.getBoundingClientRect().width > 0),
  );
  expect(drawn).toEqual(Array(8).fill(true));
  const pairs = await preview.getByTestId('augment-sample').evaluateAll((figs) =>
    figs.map((f) => {
      const [a, b] = Array.from(f.querySelectorAll('img'));
      return { original: a.src, augmented: b.src };
    }),
  );
  for (const p of pairs) {
    expect(p.original).toMatch(/^data:image\/(png|jpeg);base64,/);
    expect(p.augmented).toMatch(/^data:image\/(png|jpeg);base64,/);
    expect(p.augmented).not.toBe(p.original);
  }
  return pairs;
}

test('preview the graph augmentation on an image set, from the inspector and the set page', async ({
  editor: page,
}) => {
  test.setTimeout(120_000);
  page.on('dialog', (d) => void d.accept());
  const errors = pageErrors(page);
  const files: Record<string, Uint8Array> = {};
  for (let i = 0; i < 6; i++) {
    files[`reds/${i}.bmp`] = bmp(16, 16, [200, 40, 40], [250, 250, 250]);
    files[`blues/${i}.bmp`] = bmp(16, 16, [40, 40, 200], [20, 20, 20]);
  }
  const zip = join(tmpdir(), `corners-${Date.now()}.zip`);
  writeFileSync(zip, zipSync(files));
  const name = `corners_${Date.now()}`;

  // an empty graph: the set's page says the server's reason, nothing is drawn
  await page.getByRole('button', { name: 'New', exact: true }).click();
  await page.getByTestId('tab-datasets').click();
  await page.getByTestId('images-file').setInputFiles(zip);
  await page.getByTestId('images-name').fill(name);
  await page.getByTestId('images-imageHeight').fill('32');
  await page.getByTestId('images-imageWidth').fill('32');
  await page.getByTestId('images-upload-go').click();
  const set = page.locator(`[data-testid="images-set"][data-name="${name}"]`);
  await expect(set).toBeVisible();
  await set.getByTestId('augment-preview-go').click();
  await expect(set.getByTestId('augment-error')).toContainText('no augmentation layer');
  await expect(set.getByTestId('augment-augmented')).toHaveCount(0);

  // Input -> RandomFlip -> RandomRotation -> pooling -> Dense -> Output
  await addLayer(page, 'Input');
  await page.locator('#param-shape').fill('32, 32, 3');
  await addLayer(page, 'RandomFlip');
  await addLayer(page, 'RandomRotation');
  await page.locator('#param-factor').fill('0.25');
  await addLayer(page, 'GlobalAveragePooling2D');
  await addLayer(page, 'Dense');
  await page.locator('#param-units').fill('2');
  await addLayer(page, 'Output');
  await page.locator('#param-loss').selectOption(JSON.stringify('sparse_categorical_crossentropy'));
  await settled(page);
  await expect(page.getByTestId('check-status')).not.toHaveClass(/bad/);
  await page.getByRole('button', { name: 'Fit to view' }).click(); // the chain in view, above the dock

  // from the inspector of an augmentation node: a dialog with the drawn pairs
  await selectNode(page, 'randomrotation');
  const panel = page.getByTestId('augment-panel');
  await expect(panel).toBeVisible();
  await panel.locator('#augment-dataset').selectOption(name);
  await panel.getByTestId('augment-open').click();
  const dialog = page.getByTestId('augment-dialog');
  await expect(dialog).toBeVisible();
  const first = await expectEightAugmented(dialog);
  await expect(dialog.getByTestId('augment-layers')).toContainText('RandomFlip → RandomRotation');
  // the classes in turn, as the set's folders
  await expect(dialog.locator('figcaption')).toHaveText([
    'blues',
    'reds',
    'blues',
    'reds',
    'blues',
    'reds',
    'blues',
    'reds',
  ]);
  await shot(page, 'augment-01-inspector');
  // a new draw: new random augmentations of the same images
  await dialog.getByTestId('augment-preview-go').click();
  await expect(dialog.getByTestId('augment-preview')).toHaveAttribute('data-state', 'done');
  const again = await expectEightAugmented(dialog);
  expect(again.map((p) => p.original)).toEqual(first.map((p) => p.original));
  expect(again.map((p) => p.augmented)).not.toEqual(first.map((p) => p.augmented));
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);

  // the same from the image set's page, now that the graph augments
  await page.getByTestId('tab-datasets').click();
  await set.getByTestId('augment-preview-go').click();
  await expectEightAugmented(set);
  await expect(set.getByTestId('augment-error')).toHaveCount(0);
  await shot(page, 'augment-02-set-page');

  // a node that does not augment has no preview
  await selectNode(page, 'dense');
  await expect(page.getByTestId('augment-panel')).toHaveCount(0);
  // the one refusal asked for above, and nothing else
  expect(errors).toEqual([
    'console: Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)',
  ]);
});
