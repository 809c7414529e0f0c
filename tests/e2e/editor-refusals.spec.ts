/**
 * Every refusal says why: a connection the editor will not draw (cycle, taken port)
 * turns red with its reason while dragging and leaves a message after the drop; the
 * node menu closes on Escape, a press elsewhere and another graph; a field, its node
 * card and the problems list show the same, current error.
 */
import type { Page } from '@playwright/test';
import { expect, openTemplate, selectNode, settled, shot, test } from './fixtures';

/** Drag from output `from` onto input `to` and hold there; returns a function that drops. */
async function dragOnto(page: Page, from: string, to: string) {
  await settled(page);
  const a = (await page.locator(`[data-id="${from}"] [data-handleid="out-0"]`).boundingBox())!;
  const b = (await page.locator(`[data-id="${to}"] [data-handleid="in-0"]`).boundingBox())!;
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move(a.x + 40, a.y + 40, { steps: 4 });
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 8 });
  return () => page.mouse.up();
}

test('a cycle and a taken port are refused with the reason, while dragging and after', async ({ editor: page }) => {
  await openTemplate(page, 'sequential_mlp_mnist');
  const edges = page.locator('.react-flow__edge[data-id]:not([data-id^="tie:"])');
  await expect(edges).toHaveCount(6);

  let drop = await dragOnto(page, 'dense_2', 'dense_1'); // dense_2 depends on dense_1: a cycle
  await expect(page.locator('.connection-refused')).toBeVisible();
  await expect(page.getByTestId('connection-reason')).toHaveText('cycle: dense_2 already depends on dense_1');
  await shot(page, 'refusals-01-cycle-while-dragging');
  await drop();
  await expect(page.getByTestId('toast')).toContainText('Not connected: cycle: dense_2 already depends on dense_1');
  await expect(edges).toHaveCount(6);

  drop = await dragOnto(page, 'input', 'dense_2'); // dense_2's input already takes dropout_1
  await expect(page.getByTestId('connection-reason')).toHaveText('the input of dense_2 already takes dropout_1');
  await drop();
  await expect(page.getByTestId('toast')).toContainText('already takes dropout_1');
  await expect(edges).toHaveCount(6);
  await shot(page, 'refusals-02-taken-port-message');
});

test('the node menu closes on Escape, on a press elsewhere and when another graph opens', async ({
  editor: page,
}) => {
  await openTemplate(page, 'sequential_mlp_mnist');
  const menu = page.getByTestId('node-menu');
  const open = async () => {
    await page.getByTestId('node-dense_1').locator('.layer-head').click({ button: 'right' });
    await expect(menu).toBeVisible();
  };
  await open();
  await shot(page, 'refusals-03-menu-open');
  await page.keyboard.press('Escape');
  await expect(menu).toHaveCount(0);
  await open();
  await page.getByTestId('inspector').click({ position: { x: 20, y: 300 } });
  await expect(menu).toHaveCount(0);
  await open();
  await page.getByTestId('palette-search').click();
  await expect(menu).toHaveCount(0);
  await open();
  await page.evaluate(() => {
    const w = window as unknown as { __layerforge: { store: { getState(): { load(g: unknown): void } } } };
    w.__layerforge.store.getState().load({ schema_version: 1, name: 'other', nodes: [], edges: [], layout: {} });
  });
  await expect(menu).toHaveCount(0);
});

test('field, node card and problems list show the same, current error', async ({ editor: page }) => {
  await openTemplate(page, 'sequential_mlp_mnist');
  await selectNode(page, 'dense_1');
  const field = page.getByTestId('field-units').getByTestId('field-error');
  const card = page.getByTestId('node-dense_1').getByTestId('node-error');
  const problems = page.getByTestId('problem');

  await page.locator('#param-units').fill('-3');
  await expect(card).toContainText('at least 1');
  await expect(field).toContainText('at least 1');
  await expect(problems).toHaveCount(1);
  await expect(problems.first()).toContainText('at least 1');

  // text that is no number: the old "-3" complaint goes everywhere, the new one shows
  await page.locator('#param-units').fill('abc');
  const now = (await field.innerText()).trim();
  expect(now).not.toContain('at least 1');
  await expect(card).toContainText(now);
  await expect(problems).toHaveCount(1);
  await expect(problems.first()).toContainText(now);
  await expect(page.getByTestId('check-status')).toContainText('1 problem');
  await shot(page, 'refusals-04-same-error-everywhere');

  await page.locator('#param-units').fill('64');
  await expect(card).toHaveCount(0);
  await expect(field).toHaveCount(0);
  await expect(page.getByTestId('check-status')).toContainText('sequential');
});
