/**
 * The editor never goes white: the ways a wrapper node once blanked the page (React
 * error #185, a store selector answering a new array each render), each in the browser.
 */
import type { Page } from '@playwright/test';
import { expect, openTemplate, pageErrors, selectNode, test } from './fixtures';

/** The inspector shows a wrapper's form, and nothing threw. */
async function wrapperShown(page: Page, errors: string[]) {
  await expect(page.getByTestId('inspector-node')).toBeVisible();
  await expect(page.locator('#inner-type')).toBeVisible();
  await page.waitForTimeout(500); // a render loop throws within a few frames
  expect(errors).toEqual([]);
}

test('the video template: clicking its TimeDistributed node shows its form', async ({ editor: page }) => {
  const errors = pageErrors(page);
  await openTemplate(page, 'functional_video_timedistributed');
  const td = page.locator('.layer-node[data-type="TimeDistributed"]').first();
  await td.locator('.layer-head').click();
  await wrapperShown(page, errors);
  // the draft keeps the selection's graph: a reload comes back to a working page
  await page.waitForTimeout(1500);
  await page.reload();
  await expect(page.locator('.layer-node[data-type="TimeDistributed"]').first()).toBeVisible();
  await page.locator('.layer-node[data-type="TimeDistributed"]').first().locator('.layer-head').click();
  await wrapperShown(page, errors);
});

test('Input (8, 16) -> LSTM, then Bidirectional from the palette after it', async ({ editor: page }) => {
  const errors = pageErrors(page);
  await page.getByTestId('palette-Input').click();
  await page.locator('#param-shape').fill('8, 16');
  await page.getByTestId('palette-LSTM').click();
  await expect(page.getByTestId('node-lstm')).toBeVisible();
  await page.getByTestId('palette-Bidirectional').click();
  await expect(page.getByTestId('node-bidirectional')).toBeVisible();
  await wrapperShown(page, errors);
});

test('three layers grouped into a model, placed again "In TimeDistributed"', async ({ editor: page }) => {
  const errors = pageErrors(page);
  await openTemplate(page, 'sequential_mlp_mnist');
  await selectNode(page, 'dense_1');
  await page.keyboard.down('Shift');
  await page.getByTestId('node-dropout_1').locator('.layer-head').click();
  await page.getByTestId('node-dense_2').locator('.layer-head').click();
  await page.keyboard.up('Shift');
  await page.getByTestId('group-selection').click();
  await expect(page.getByTestId('subgraph-list')).toContainText('block');
  await selectNode(page, 'input');
  await page.getByTestId('subgraph-list').getByRole('button', { name: 'In TimeDistributed' }).click();
  await wrapperShown(page, errors);
  await expect(page.locator('#inner-type')).toHaveValue('Model:block');
});

test('a component that throws shows what happened, with Reload and Discard draft', async ({ editor: page }) => {
  // a draft this editor cannot draw: a node whose name is an object, which React refuses to render
  const corrupt = {
    graph: {
      schema_version: 1,
      nodes: [{ id: 'dense', type: 'Dense', name: { not: 'a name' }, params: { units: 4 } }],
      edges: [],
    },
    saved: null,
    dirty: true,
    at: Date.now(),
  };
  await page.evaluate((d) => localStorage.setItem('layerforge.draft', JSON.stringify(d)), corrupt);
  await page.reload();
  await expect(page.getByTestId('crash')).toBeVisible();
  await expect(page.getByTestId('crash-message')).toContainText('React error #31') // objects are not valid as a React child;
  // Reload keeps the draft: the same error again, nothing lost
  await page.getByTestId('crash-reload').click();
  await expect(page.getByTestId('crash')).toBeVisible();
  expect(await page.evaluate(() => localStorage.getItem('layerforge.draft'))).toContain('not');
  // Discard draft: an empty, working editor
  await page.getByTestId('crash-discard').click();
  await expect(page.getByTestId('palette-Dense')).toBeVisible();
  await expect(page.getByTestId('crash')).toHaveCount(0);
  await page.getByTestId('palette-Dense').click();
  await expect(page.getByTestId('node-dense')).toBeVisible();
});
