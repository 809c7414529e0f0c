/**
 * A Model node opens in place: its sub-graph's layers are drawn where it was, wired to
 * the layers around it, inside a frame with the model's name, layer count and
 * parameters; the graph itself still holds the Model node, and Close brings it back.
 */
import type { Page } from '@playwright/test';
import { expect, openTemplate, shot, test } from './fixtures';

const rootNodes = (page: Page) =>
  page.evaluate(() =>
    (
      window as unknown as { __layerforge: { store: { getState(): { root: { nodes: { id: string }[] } } } } }
    ).__layerforge.store
      .getState()
      .root.nodes.map((n) => n.id),
  );

test('a Model node opens in place, wired to its neighbours, and closes again', async ({ editor: page }) => {
  await openTemplate(page, 'functional_nested_model_twice');
  const model = page.getByTestId('node-vision_a');
  await expect(model.getByTestId('node-params')).not.toHaveText('');
  const modelParams = await model.getByTestId('node-params').textContent();
  const before = await rootNodes(page);

  await model.getByTestId('model-open-in-place').click();
  await expect(model).toHaveCount(0);
  const frame = page.getByTestId('frame-vision_a');
  await expect(frame).toBeVisible();
  // the four layers of vision_model, with the parameters the Model node had in total
  await expect(frame).toContainText('Model vision_a');
  await expect(frame).toContainText(`4 layers · ${modelParams}`);
  const conv = page.getByTestId('node-vision_a/conv_1');
  await expect(conv).toBeVisible();
  await expect(conv.getByTestId('node-shape')).toHaveText('(None, 25, 25, 64)');
  // wired through the model's Input and Output to the layers around it
  await expect(page.getByTestId('rf__edge-digit_a:0->vision_a/conv_1:0')).toHaveCount(1);
  await expect(page.getByTestId('rf__edge-vision_a/flatten:0->concatenated:0')).toHaveCount(1);
  // inside the frame, and only a view: the graph keeps its Model node
  const f = (await frame.boundingBox())!;
  const c = (await conv.boundingBox())!;
  expect(c.x >= f.x && c.y >= f.y && c.x + c.width <= f.x + f.width && c.y + c.height <= f.y + f.height).toBe(true);
  expect(await rootNodes(page)).toEqual(before);
  await shot(page, 'model-open-in-place');

  await frame.getByTestId('block-collapse').click();
  await expect(page.getByTestId('node-vision_a')).toBeVisible();
  await expect(frame).toHaveCount(0);
  await expect(page.getByTestId('node-vision_a/conv_1')).toHaveCount(0);
});
