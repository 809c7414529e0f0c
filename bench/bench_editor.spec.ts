/**
 * Editor speed, in Debian's Chromium against the real server (npm run bench in frontend/):
 * - first render of imported DenseNet121 (~430 nodes), EfficientNetB7 (~816) and
 *   NASNetLarge (~1,040), panning each and five edits of its classifier until the new
 *   shape shows (split into the validate round trip and the browser's share), against the named baseline "empty editor ready" (page load until the
 *   empty canvas is up) and a 12-node template render, all measured in this run;
 * - five edits on a 300-node graph, measured the same way;
 * - the main script bundle, gzipped.
 * Figures go to stdout and bench/results/editor.json.
 */
import { expect, test, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { gzipSync } from 'node:zlib';

const ROOT = resolve(__dirname, '..');
const figures: Record<string, number> = {};
const ms = (v: number) => `${v.toFixed(0)} ms`;

function report(name: string, value: number, text: string) {
  figures[name] = Math.round(value * 10) / 10;
  console.log(`  ${name.padEnd(34)} ${text}`);
}

/** In the page: load a graph into the store and time until its nodes are painted. */
async function renderTime(page: Page, graph: unknown): Promise<number> {
  return page.evaluate(async (g) => {
    const store = (window as any).__layerforge.store;
    const t0 = performance.now();
    store.getState().load(g);
    const painted = () =>
      new Promise<void>((ok) => {
        const tick = () => {
          const nodes = document.querySelectorAll<HTMLElement>('.react-flow__node');
          const shown = [...nodes].some((n) => n.style.visibility !== 'hidden' && n.offsetWidth > 0);
          if (nodes.length && shown) requestAnimationFrame(() => ok());
          else requestAnimationFrame(tick);
        };
        tick();
      });
    await painted();
    return performance.now() - t0;
  }, graph);
}

async function freshEditor(page: Page): Promise<number> {
  const t0 = Date.now();
  await page.goto(process.env.LAYERFORGE_E2E_URL!);
  await expect(page.locator('.react-flow__pane')).toBeVisible();
  await expect(page.getByTestId('palette-Dense')).toBeVisible();
  return Date.now() - t0;
}

/** keras.applications models measured, with the node the edit changes (their classifier). */
const APPLICATIONS = ['DenseNet121', 'EfficientNetB7', 'NASNetLarge'];

async function panFrames(page: Page): Promise<{ mean: number; p95: number; count: number }> {
  const pane = await page.locator('.react-flow__pane').boundingBox();
  const cx = pane!.x + pane!.width / 2;
  const cy = pane!.y + pane!.height / 2;
  await page.evaluate(() => {
    const w = window as any;
    w.__frames = [];
    w.__stop = false;
    const loop = (ts: number) => {
      w.__frames.push(ts);
      if (w.__frames.length < 2000 && !w.__stop) requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
  });
  await page.mouse.move(cx, cy);
  await page.mouse.down();
  for (let i = 0; i < 60; i++) await page.mouse.move(cx - i * 6, cy - i * 8);
  await page.mouse.up();
  const frames: number[] = await page.evaluate(() => {
    const w = window as any;
    w.__stop = true;
    return w.__frames;
  });
  const gaps = frames
    .slice(1)
    .map((f, i) => f - frames[i])
    .sort((a, b) => a - b);
  const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
  return { mean, p95: gaps[Math.floor(gaps.length * 0.95)], count: gaps.length };
}

/** In the page: change a Dense node's units and time until its card shows the new shape,
 * with the part of it spent in POST /api/graphs/validate (resource timing). */
async function editToMarks(page: Page, node: string, units: number): Promise<Edit> {
  return page.evaluate(
    async ({ id, u }) => {
      const store = (window as any).__layerforge.store;
      performance.clearResourceTimings();
      const t0 = performance.now();
      store.getState().edit((g: any) => ({
        ...g,
        nodes: g.nodes.map((n: any) => (n.id === id ? { ...n, params: { ...n.params, units: u } } : n)),
      }));
      const want = `(None, ${u})`;
      await new Promise<void>((ok) => {
        const tick = () => {
          const el = document.querySelector(`[data-testid="node-${id}"] [data-testid="node-shape"]`);
          if (el?.textContent === want) requestAnimationFrame(() => ok());
          else requestAnimationFrame(tick);
        };
        tick();
      });
      const total = performance.now() - t0;
      const req = performance
        .getEntriesByType('resource')
        .filter((e) => e.name.endsWith('/api/graphs/validate'))
        .pop();
      return { total, server: req ? req.duration : NaN };
    },
    { id: node, u: units },
  );
}

type Edit = { total: number; server: number };

/** Five edits of one node: the median edit-to-marks time, its spread, and its split. */
async function reportEdits(page: Page, key: string, node: string, empty: number): Promise<void> {
  const runs: Edit[] = [];
  for (const units of [24, 32, 40, 48, 56]) {
    runs.push(await editToMarks(page, node, units));
    await page.waitForTimeout(300);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const totals = runs.map((r) => r.total);
  const total = median(totals);
  const server = median(runs.map((r) => r.server));
  report(
    `${key}_edit_to_marks_ms`,
    total,
    `${ms(total)} median of ${runs.length} edits of ${node} (range ${ms(Math.min(...totals))}-${ms(Math.max(...totals))}; target < 150 ms)`,
  );
  report(`${key}_validate_round_trip_ms`, server, `${ms(server)} of it in POST /api/graphs/validate`);
  report(
    `${key}_browser_share_ms`,
    total - server,
    `${ms(total - server)} in the browser (mapping + render), ${((total - server) / empty).toFixed(3)}x baseline`,
  );
}

async function measureApplication(
  page: Page,
  request: any,
  base: string,
  app: string,
  empty: number,
  small: number,
): Promise<void> {
  const key = app.toLowerCase();
  const kerasJson = execFileSync(
    join(ROOT, '.venv', 'bin', 'python'),
    ['-c', `import keras; print(keras.applications.${app}(weights=None).to_json())`],
    { encoding: 'utf8', env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' }, maxBuffer: 256 << 20 },
  );
  const t = Date.now();
  const imported = await request.post(`${base}/api/models/import`, {
    data: { keras_json: kerasJson },
    timeout: 600_000,
  });
  expect(imported.ok()).toBe(true);
  const graph = (await imported.json()).graph;
  report(`${key}_server_import_ms`, Date.now() - t, `${ms(Date.now() - t)} (${graph.nodes.length} nodes, server side)`);

  await freshEditor(page);
  const first = await renderTime(page, graph);
  report(
    `${key}_first_render_ms`,
    first,
    `${ms(first)}  = ${(first / empty).toFixed(2)}x baseline, ${(first / small).toFixed(1)}x the 12-node render (target < 1500 ms)`,
  );
  await expect(page.getByTestId('check-status')).toContainText('functional', { timeout: 300_000 });

  const classifier = graph.nodes.filter((n: any) => n.type === 'Dense').pop().id;
  await page.evaluate((id) => (window as any).__layerforge.store.getState().focusNode(id), classifier);
  await page.waitForTimeout(600);
  const pan = await panFrames(page);
  report(
    `${key}_pan_frame_mean_ms`,
    pan.mean,
    `${pan.mean.toFixed(1)} ms (${(1000 / pan.mean).toFixed(0)} fps), p95 ${pan.p95.toFixed(1)} ms over ${pan.count} frames`,
  );
  figures[`${key}_pan_frame_p95_ms`] = Math.round(pan.p95 * 10) / 10;

  await page.evaluate((id) => (window as any).__layerforge.store.getState().focusNode(id), classifier);
  await page.waitForTimeout(600);
  await reportEdits(page, key, classifier, empty);
}

test('editor speed', async ({ page, request }) => {
  const base = process.env.LAYERFORGE_E2E_URL!;
  const load = loadavg()[0];
  console.log(
    `\nLayerforge editor benchmark (Chromium, ${cpus().length} cores, load average ${load.toFixed(1)} at start)`,
  );
  figures.load_average_at_start = Math.round(load * 10) / 10;

  // baseline: the empty editor, ready (page load, catalogue, empty canvas)
  const empty = await freshEditor(page);
  report('baseline_empty_editor_ready_ms', empty, ms(empty));

  const headline = JSON.parse(
    readFileSync(join(ROOT, 'examples', 'functional_headline_two_inputs_two_outputs.json'), 'utf8'),
  );
  const small = await renderTime(page, headline);
  report('headline_12_nodes_first_render_ms', small, ms(small));

  // the largest keras.applications models, through the real import: first render, pan,
  // and one edit on the classifier (the last Dense) until its new shape shows
  for (const app of APPLICATIONS) await measureApplication(page, request, base, app, empty, small);

  // one edit on a 300-node chain: Input -> 298 Dense -> Output
  const nodes = [{ id: 'in', type: 'Input', params: { shape: [16] } }];
  const edges: unknown[] = [];
  let prev = 'in';
  for (let i = 0; i < 298; i++) {
    const id = `d${i}`;
    nodes.push({ id, type: 'Dense', params: { units: 16 } } as never);
    edges.push({ source: prev, target: id });
    prev = id;
  }
  nodes.push({ id: 'out', type: 'Output', params: { loss: 'mse' } } as never);
  edges.push({ source: prev, target: 'out' });
  const chain = { schema_version: 1, name: 'chain300', nodes, edges, layout: {} };
  await freshEditor(page);
  await renderTime(page, chain);
  await expect(page.getByTestId('check-status')).toContainText('sequential', { timeout: 180_000 });
  await page.evaluate(() => (window as any).__layerforge.store.getState().focusNode('d150'));
  await page.waitForTimeout(800);
  await reportEdits(page, 'chain300', 'd150', empty);

  // bundle: the entry script, gzipped
  const assets = join(ROOT, 'frontend', 'dist', 'assets');
  const html = readFileSync(join(ROOT, 'frontend', 'dist', 'index.html'), 'utf8');
  const entry = html.match(/assets\/(index-[^"]+\.js)/)![1];
  const gz = gzipSync(readFileSync(join(assets, entry))).length;
  const lazy = readdirSync(assets).filter((f) => f.endsWith('.js') && f !== entry);
  report(
    'main_bundle_gzip_kb',
    gz / 1024,
    `${(gz / 1024).toFixed(1)} KB gzipped (${entry}; target < 500 KB); ${lazy.length} lazy chunks`,
  );

  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', 'editor.json'), JSON.stringify(figures, null, 2));
});
