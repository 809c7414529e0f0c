/**
 * The guard that would have caught a blank page: every type the server's catalogue
 * publishes (read at test time, so a new type is walked without editing this file) is
 * added from the palette (after an Input the server says fits it), selected, edited,
 * wrapped where a wrapper applies, undone and deleted; every template is opened and every
 * node in it clicked. A page error or a console error fails the test.
 */
import type { APIRequestContext, Page } from '@playwright/test';
import { expect, pageErrors, settled, test } from './fixtures';
import { initialParams } from '../../frontend/src/editor/palette/catalogue';
import type { LayerSpec, ParamSpec } from '../../frontend/src/editor/graph/types';

/** The catalogue is walked in this many tests, each one page load (a few minutes in all). */
const SLICES = 4;

/** Inputs tried for each type, in order; the first the server accepts (or errs least on) is used. */
const CANDIDATES: { shape: number[]; dtype: string }[] = ['float32', 'int32', 'string'].flatMap((dtype) =>
  [[16], [8, 16], [8, 8, 3], [4, 8, 8, 3], [2, 4, 8, 8, 3]].map((shape) => ({ shape, dtype })),
);

interface Plan {
  spec: LayerSpec;
  input: { shape: number[]; dtype: string } | null;
  /** How many ports the Input feeds (a Concatenate needs two, an Attention query and value). */
  ports: number;
}

/** How many ports a layer needs wired before Keras can call it. */
function portsNeeded(spec: LayerSpec): number {
  if (spec.inputs === 0) return 0;
  if (spec.min_inputs != null) return spec.min_inputs;
  if (spec.variadic_inputs) return 2;
  return typeof spec.inputs === 'number' ? spec.inputs : 1;
}

let plans: Promise<{ catalogue: LayerSpec[]; plans: Plan[] }> | null = null;

/**
 * Every palette type with the Input that fits it best: one check per candidate Input
 * holding every type at once, each node's errors counted.
 */
function planAll(request: APIRequestContext) {
  plans ??= (async () => {
    const catalogue = ((await (await request.get('/api/layers')).json()) as { layers: LayerSpec[] }).layers;
    const palette = catalogue.filter((l) => l.type !== 'Model'); // a Model node comes from a sub-graph
    const needy = palette.filter((l) => l.inputs !== 0);
    const best = new Map<string, { errors: number; input: (typeof CANDIDATES)[number] }>();
    for (const input of CANDIDATES) {
      const nodes = needy.flatMap((l, i) => [
        { id: `i${i}`, type: 'Input', params: input },
        { id: `n${i}`, type: l.type, params: initialParams(l) },
      ]);
      const edges = needy.flatMap((l, i) =>
        Array.from({ length: portsNeeded(l) }, (_, p) => ({
          source: `i${i}`,
          source_port: 0,
          target: `n${i}`,
          target_port: p,
        })),
      );
      const res = await request.post('/api/graphs/validate', { data: { graph: { schema_version: 1, nodes, edges } } });
      expect(res.status()).toBe(200);
      const answer = (await res.json()) as { errors: { node: string | null }[] };
      needy.forEach((l, i) => {
        const errors = answer.errors.filter((e) => e.node === `n${i}`).length;
        if (!best.has(l.type) || errors < best.get(l.type)!.errors) best.set(l.type, { errors, input });
      });
    }
    return {
      catalogue,
      plans: palette.map((spec) => ({
        spec,
        input: best.get(spec.type)?.input ?? null,
        ports: portsNeeded(spec),
      })),
    };
  })();
  return plans;
}

const EDITABLE = new Set(['int', 'float', 'bool', 'choice', 'dtype', 'shape', 'int_tuple']);

/** The parameter to edit: a key one first, then a required one, then any the form can take. */
function paramToEdit(spec: LayerSpec): ParamSpec | undefined {
  const key = new Set(spec.key_params ?? []);
  const ranked = [
    ...spec.params.filter((p) => key.has(p.name)),
    ...spec.params.filter((p) => !key.has(p.name) && p.required),
    ...spec.params,
  ];
  return ranked.find((p) => EDITABLE.has(p.kind) && p.name !== 'subgraph');
}

/** A value unlike the parameter's default, within its range. */
function otherNumber(p: ParamSpec): number {
  const d = typeof p.default === 'number' ? p.default : null;
  let v = p.kind === 'int' ? (d ?? 1) + 1 : d ? d / 2 : 0.25;
  if (p.max != null && v > p.max) v = p.kind === 'int' ? p.max - 1 : (p.max + (p.min ?? 0)) / 2;
  if (p.min != null && v < p.min) v = p.min;
  return v;
}

async function editParam(page: Page, p: ParamSpec) {
  const field = page.locator(`#param-${p.name}`);
  if (!(await field.isVisible()))
    await page.locator('.inspector details.more-params', { has: field }).locator('> summary').click();
  if (p.kind === 'bool') {
    const before = await field.isChecked();
    await field.click();
    await expect(field).toBeChecked({ checked: !before });
  } else if (p.kind === 'choice' || p.kind === 'dtype' || (p.choices?.length ?? 0) > 0) {
    const options = field.locator('option');
    const last = await options.nth((await options.count()) - 1).getAttribute('value');
    await field.selectOption(last!);
    await expect(field).toHaveValue(last!);
  } else if (p.kind === 'shape' || p.kind === 'int_tuple') {
    await field.fill('2');
    await expect(field).toHaveValue('2');
  } else {
    const v = String(otherNumber(p));
    await field.fill(v);
    await expect(field).toHaveValue(v);
  }
}

/** The one node of `type` on the canvas (the graph holds one of each while a type is walked). */
async function nodeOf(page: Page, type: string) {
  const node = page.locator(`.layer-node[data-type="${type}"]`);
  await expect(node).toHaveCount(1);
  return node;
}

async function select(page: Page, node: ReturnType<Page['locator']>) {
  await node.locator('.layer-head').click();
  await expect(page.getByTestId('inspector-node')).toBeVisible();
}

/** Wire the extra ports (the palette wired port 0) from the Input by dragging. */
async function wireExtraPorts(page: Page, from: string, to: string, ports: number) {
  for (let port = 1; port < ports; port++) {
    await settled(page);
    const src = page.locator(`[data-id="${from}"] [data-handleid="out-0"]`);
    const dst = page.locator(`[data-id="${to}"] [data-handleid="in-${port}"]`);
    const a = (await src.boundingBox())!;
    const b = (await dst.boundingBox())!;
    await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
    await page.mouse.down();
    await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 4 });
    await page.mouse.up();
  }
  const wired = page.locator(`.react-flow__edge[data-id]:not([data-id^="tie:"])`);
  await expect(wired).toHaveCount(ports);
}

async function walkType(page: Page, plan: Plan, catalogue: LayerSpec[]) {
  const { spec } = plan;
  await page.getByRole('button', { name: 'New', exact: true }).click();
  await expect(page.locator('.layer-node')).toHaveCount(0);
  let inputId: string | null = null;
  if (spec.inputs !== 0 && plan.input) {
    await page.getByTestId('palette-Input').click();
    const input = await nodeOf(page, 'Input');
    inputId = (await input.getAttribute('data-testid'))!.slice('node-'.length);
    await page.locator('#param-shape').fill(plan.input.shape.join(', '));
    if (plan.input.dtype !== 'float32') await page.locator('#param-dtype').selectOption(JSON.stringify(plan.input.dtype));
  }
  // added from the palette: after the selected Input, wired to it
  await page.getByTestId(`palette-${spec.type}`).click();
  const node = await nodeOf(page, spec.type);
  const id = (await node.getAttribute('data-testid'))!.slice('node-'.length);
  if (inputId && plan.ports > 1) await wireExtraPorts(page, inputId, id, plan.ports);
  await select(page, node);
  await expect(page.getByTestId('inspector-node')).toContainText(spec.type);

  if (spec.wraps) {
    // its one parameter: the layer it wraps
    const inner = catalogue.find((l) => l.category === (spec.type === 'Bidirectional' ? 'recurrent' : 'core'))!;
    await page.locator('#inner-type').selectOption(inner.type);
    await expect(node.locator('.layer-type')).toHaveText(`${spec.type}(${inner.type})`);
  }
  const param = paramToEdit(spec);
  if (param) await editParam(page, param);

  // wrapped: a wrapper placed after the Input, holding this layer
  const wrapper = spec.category === 'recurrent' ? 'Bidirectional' : 'TimeDistributed';
  const wrappable = inputId && !spec.wraps && spec.category !== 'io';
  if (wrappable) {
    await select(page, page.getByTestId(`node-${inputId}`));
    await page.getByTestId(`palette-${wrapper}`).click();
    const w = await nodeOf(page, wrapper);
    await expect(page.getByTestId('inspector-node')).toContainText(wrapper); // added, selected
    await page.locator('#inner-type').selectOption(spec.type);
    await expect(w.locator('.layer-type')).toHaveText(`${wrapper}(${spec.type})`);
    await settled(page);
    // undone: the wrapper holds nothing again
    await page.getByRole('button', { name: 'Undo', exact: true }).click();
    await expect(w.locator('.layer-type')).toHaveText(wrapper);
  } else {
    await settled(page);
    await page.getByRole('button', { name: 'Undo', exact: true }).click();
  }
  // deleted
  await select(page, page.getByTestId(`node-${id}`));
  await page.locator('.inspector').getByRole('button', { name: 'Delete', exact: true }).click();
  await expect(page.getByTestId(`node-${id}`)).toHaveCount(0);
}

for (let slice = 0; slice < SLICES; slice++) {
  test(`every catalogue type, part ${slice + 1} of ${SLICES}: add, select, edit, wrap, undo, delete`, async ({
    editor: page,
    request,
  }) => {
    test.setTimeout(300_000);
    const errors = pageErrors(page);
    page.on('dialog', (d) => void d.accept()); // New asks before discarding an unsaved graph
    const { catalogue, plans: all } = await planAll(request);
    const mine = all.filter((_, i) => i % SLICES === slice);
    expect(mine.length).toBeGreaterThan(0);
    for (const plan of mine) {
      await test.step(plan.spec.type, () => walkType(page, plan, catalogue));
      expect(errors, `after ${plan.spec.type}`).toEqual([]);
    }
    console.log(`walked ${mine.length} types: ${mine.map((p) => p.spec.type).join(', ')}`);
  });
}

test('every template: open it and click every node', async ({ editor: page, request }) => {
  test.setTimeout(240_000);
  const errors = pageErrors(page);
  page.on('dialog', (d) => void d.accept());
  const { examples } = (await (await request.get('/api/examples')).json()) as { examples: { name: string }[] };
  expect(examples.length).toBeGreaterThan(0);
  let clicked = 0;
  const types = new Set<string>();
  for (const { name } of examples) {
    await page.getByTestId('open-templates').click();
    await page.getByTestId(`template-${name}`).click();
    await expect(page.getByTestId('open-dialog')).toHaveCount(0);
    await settled(page);
    const nodes = page.locator('.layer-node');
    const count = await nodes.count();
    expect(count, name).toBeGreaterThan(0);
    for (let i = 0; i < count; i++) {
      const node = nodes.nth(i);
      const id = (await node.getAttribute('data-testid'))!.slice('node-'.length);
      types.add((await node.getAttribute('data-type'))!);
      await test.step(`${name}: ${id}`, async () => {
        await node.locator('.layer-head').click();
        await expect(page.getByTestId('inspector-node')).toContainText(id);
      });
      clicked++;
    }
    expect(errors, `after ${name}`).toEqual([]);
  }
  // the one type the palette does not offer (it comes from a sub-graph) is clicked here
  expect([...types]).toContain('Model');
  console.log(`opened ${examples.length} templates, clicked ${clicked} nodes of ${types.size} types`);
});
