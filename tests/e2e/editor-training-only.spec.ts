/**
 * Augmentations the catalogue marks training_only (GET /api/layers: the identity at
 * inference) carry a "training only" badge on the canvas; other layers, and an
 * augmentation the catalogue does not mark, carry none.
 */
import { expect, pageErrors, test } from './fixtures';

test('training-only layers are badged as the catalogue marks them', async ({ editor: page }) => {
  const errors = pageErrors(page);
  const { layers } = (await (await page.request.get('/api/layers')).json()) as {
    layers: { type: string; category: string; training_only?: boolean }[];
  };
  const marked = layers.filter((l) => l.training_only).map((l) => l.type);
  const unmarked = layers.filter((l) => l.category === 'augmentation' && !l.training_only).map((l) => l.type);
  expect(marked.length).toBeGreaterThan(1);
  const types = [marked[0], marked[marked.length - 1], ...unmarked.slice(0, 1), 'Dense'];
  for (const type of types) {
    await page.getByTestId('palette-search').fill(type);
    await page.getByTestId(`palette-${type}`).click();
  }
  await page.locator('.fit-view').click(); // all of them drawn (off-screen cards are not)
  for (const type of types) {
    const card = page.locator(`.react-flow__node [data-type="${type}"]`);
    await expect(card).toHaveCount(1);
    await expect(card.getByTestId('node-training-only')).toHaveCount(marked.includes(type) ? 1 : 0);
  }
  expect(errors).toEqual([]);
});
