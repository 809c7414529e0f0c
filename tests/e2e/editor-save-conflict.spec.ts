/**
 * Save asks for a name the first time, and two people editing one graph never overwrite
 * each other: the editor saves with the version it opened (`base_version`); when someone
 * saved since, it offers to reload theirs or save this one as a copy.
 */
import type { APIRequestContext, Page } from '@playwright/test';
import { expect, openTemplate, selectNode, test } from './fixtures';

/** Names unique to this run: the server may hold graphs of earlier runs. */
const RUN = Date.now().toString(36);

async function savedNamed(request: APIRequestContext, name: string) {
  const { graphs } = (await (await request.get('/api/graphs')).json()) as { graphs: { id: string; name: string }[] };
  return graphs.filter((g) => g.name === name);
}

/** Open the MLP template and save it under `name` through the name dialog. */
async function saveFirst(page: Page, name: string) {
  await openTemplate(page, 'sequential_mlp_mnist');
  await page.keyboard.press('Control+s');
  const field = page.getByTestId('save-name');
  await expect(field).toHaveValue('MLP for MNIST-shaped data (Sequential)');
  await field.fill(name);
  await page.getByTestId('save-confirm').click();
  await expect(page.getByTestId('toast')).toContainText(`Saved "${name}" (version 1)`);
  await expect(page.locator('.toolbar .title')).toContainText(name);
}

/** Someone else saves version 2 of the graph, with `units` of dense_1 changed to 7. */
async function theirSave(request: APIRequestContext, id: string) {
  const saved = await (await request.get(`/api/graphs/${id}`)).json();
  saved.graph.nodes.find((n: { id: string }) => n.id === 'dense_1').params.units = 7;
  const res = await request.put(`/api/graphs/${id}`, { data: { name: saved.name, graph: saved.graph, base_version: 1 } });
  expect(res.status()).toBe(200);
}

async function myEditThenSave(page: Page) {
  await selectNode(page, 'dense_2');
  await page.locator('#param-units').fill('48');
  await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('Control+s');
  await expect(page.getByTestId('save-conflict-message')).toContainText('saved version 2');
  await expect(page.getByTestId('save-conflict-message')).toContainText('since you opened version 1');
}

test('a conflict: save mine as a copy keeps both', async ({ editor: page, request }) => {
  const name = `Conflict copy ${RUN}`;
  await saveFirst(page, name);
  const [graph] = await savedNamed(request, name);
  await theirSave(request, graph.id);
  await myEditThenSave(page);
  await page.getByTestId('conflict-copy').click();
  await expect(page.getByTestId('save-name')).toHaveValue(`${name} (my copy)`);
  await page.getByTestId('save-confirm').click();
  await expect(page.getByTestId('toast')).toContainText(`Saved "${name} (my copy)" (version 1)`);
  // theirs is untouched, mine is its own graph
  const theirs = await (await request.get(`/api/graphs/${graph.id}`)).json();
  expect(theirs.latest_version).toBe(2);
  expect(theirs.graph.nodes.find((n: { id: string }) => n.id === 'dense_2').params.units).toBe(64);
  const [mine] = await savedNamed(request, `${name} (my copy)`);
  const copy = await (await request.get(`/api/graphs/${mine.id}`)).json();
  expect(copy.graph.nodes.find((n: { id: string }) => n.id === 'dense_2').params.units).toBe(48);
  // and the copy goes on saving versions of its own
  await selectNode(page, 'dense_2');
  await page.locator('#param-units').fill('40');
  await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('Control+s');
  await expect(page.getByTestId('toast')).toContainText(`Saved "${name} (my copy)" (version 2)`);
});

test('a conflict: reload theirs opens their version', async ({ editor: page, request }) => {
  const name = `Conflict reload ${RUN}`;
  await saveFirst(page, name);
  const [graph] = await savedNamed(request, name);
  await theirSave(request, graph.id);
  await myEditThenSave(page);
  await page.getByTestId('conflict-reload').click();
  await expect(page.getByTestId('save-dialog')).toHaveCount(0);
  await expect(page.getByTestId('node-dense_1')).toContainText('units=7');
  await expect(page.getByTestId('node-dense_2')).toContainText('units=64');
  await expect(page.locator('.toolbar .title')).toContainText('v2');
  // saving from there is version 3, no conflict
  await selectNode(page, 'dense_2');
  await page.locator('#param-units').fill('32');
  await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('Control+s');
  await expect(page.getByTestId('toast')).toContainText('(version 3)');
});

test('two first saves ask for names: no two "Untitled model" entries', async ({ editor: page, request }) => {
  await page.getByTestId('palette-Input').click();
  await page.keyboard.press('Control+s');
  await expect(page.getByTestId('save-name')).toHaveValue('Untitled model');
  await page.getByTestId('save-name').fill(`First sketch ${RUN}`);
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('toast')).toContainText(`Saved "First sketch ${RUN}" (version 1)`);
  expect(await savedNamed(request, `First sketch ${RUN}`)).toHaveLength(1);
  expect(await savedNamed(request, 'Untitled model')).toHaveLength(0);
});
