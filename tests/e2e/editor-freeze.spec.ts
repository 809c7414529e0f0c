/**
 * Freezing for fine-tuning: "freeze everything up to here", a selection frozen and
 * unfrozen (inspector and node menu), frozen cards drawn apart, and the trainable and
 * non-trainable counts the inspector shows equal to those Keras gives for the same
 * frozen model (POST /api/models/build builds it).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, openTemplate, pageErrors, selectNode, settled, shot, test } from './fixtures';

const EXAMPLES = join(__dirname, '..', '..', 'examples');

/** What Keras counts for the MNIST MLP with these nodes frozen. */
async function kerasCounts(page: Page, frozen: string[]) {
  const graph = JSON.parse(readFileSync(join(EXAMPLES, 'sequential_mlp_mnist.json'), 'utf8'));
  for (const n of graph.nodes) if (frozen.includes(n.id)) n.trainable = false;
  const res = await page.request.post('/api/models/build', { data: { graph } });
  expect(res.status()).toBe(200);
  const b = await res.json();
  return {
    total: b.total_params as number,
    trainable: b.trainable_params as number,
    non: b.non_trainable_params as number,
  };
}

async function shownCounts(page: Page) {
  await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
  await settled(page);
  const num = async (id: string) => Number((await page.getByTestId(id).innerText()).replace(/[^\d]/g, ''));
  return {
    total: await num('inspector-total-params'),
    trainable: await num('inspector-trainable-params'),
    non: await num('inspector-non-trainable-params'),
  };
}

const frozenBadges = (page: Page) => page.locator('[data-testid^="node-"]:has([data-testid="node-frozen"])');

test('freeze up to a node, a selection, and back; counts as Keras gives them', async ({ editor: page }) => {
  const errors = pageErrors(page);
  await openTemplate(page, 'sequential_mlp_mnist');
  await settled(page);
  expect(await shownCounts(page)).toEqual(await kerasCounts(page, []));

  await selectNode(page, 'dense_2');
  await page.getByTestId('freeze-up-to').click();
  for (const id of ['dense_1', 'dropout_1', 'dense_2'])
    await expect(page.getByTestId(`node-${id}`)).toHaveClass(/is-frozen/);
  await expect(frozenBadges(page)).toHaveCount(3);
  await expect(page.getByTestId('node-predictions')).not.toHaveClass(/is-frozen/);
  await expect(page.getByTestId('node-input')).not.toHaveClass(/is-frozen/);
  await expect(page.locator('#node-trainable')).not.toBeChecked();
  const frozen3 = await kerasCounts(page, ['dense_1', 'dropout_1', 'dense_2']);
  expect(frozen3.non).toBeGreaterThan(0);
  expect(await shownCounts(page)).toEqual(frozen3);
  await shot(page, 'freeze-01-up-to-dense_2');

  // the node's own counts: all of dense_1's weights non-trainable
  await selectNode(page, 'dense_1');
  await expect(page.getByTestId('inspector-trainable')).toHaveText('0');
  await expect(page.getByTestId('inspector-non-trainable')).toHaveText('50,240');

  // a selection of two: unfreeze dense_1 and dense_2 from the inspector
  await page
    .getByTestId('node-dense_2')
    .locator('.layer-head')
    .click({ modifiers: ['Shift'] });
  await expect(page.getByTestId('unfreeze-selection')).toBeVisible();
  await page.getByTestId('unfreeze-selection').click();
  await expect(frozenBadges(page)).toHaveCount(1);
  expect(await shownCounts(page)).toEqual(await kerasCounts(page, ['dropout_1']));

  // the node menu: freeze predictions alone, then unfreeze it again
  await page.getByTestId('node-predictions').click({ button: 'right' });
  await page.getByTestId('menu-freeze').click();
  await expect(page.getByTestId('node-predictions')).toHaveClass(/is-frozen/);
  expect(await shownCounts(page)).toEqual(await kerasCounts(page, ['dropout_1', 'predictions']));
  await page.getByTestId('node-predictions').click({ button: 'right' });
  await expect(page.getByTestId('menu-freeze')).toHaveText(/Unfreeze/);
  await page.getByTestId('menu-freeze').click();
  await expect(page.getByTestId('node-predictions')).not.toHaveClass(/is-frozen/);

  // one undo step per freeze
  await page.keyboard.press('Control+z');
  await expect(page.getByTestId('node-predictions')).toHaveClass(/is-frozen/);
  expect(errors).toEqual([]);
});
