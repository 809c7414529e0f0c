/**
 * A text set trained from the page against the real server: a .csv of labelled sentences
 * the test writes (three topics, as tests/text_sets.py) uploaded in the training form with
 * its label column, the guide's text classifier (string Input -> TextVectorization ->
 * Embedding -> GlobalAveragePooling1D -> Dense -> Output) built from the palette, trained
 * to the end; the TextVectorization node then shows what it learned, and the run's
 * results an accuracy well above chance.
 */
import type { Page } from '@playwright/test';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addLayer, expect, pageErrors, selectNode, settled, shot, test } from './fixtures';

const TOPICS: Record<string, string[]> = {
  sport: 'goal match team score referee league coach player stadium season'.split(' '),
  food: 'bread cheese soup recipe oven spice dinner salad butter kitchen'.split(' '),
  space: 'orbit rocket planet comet galaxy launch moon telescope star astronaut'.split(' '),
};
const SHARED = 'the a today really very new big some about with'.split(' ');

/** A seeded generator (mulberry32): the same sentences every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `samples` sentences of four topic words and four shared ones, 5% given another topic's
 * label, as a .csv with the columns text and topic. */
function textCsv(samples: number, seed = 0): string {
  const rnd = random(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];
  const topics = Object.keys(TOPICS).sort();
  const rows = ['text,topic'];
  for (let i = 0; i < samples; i++) {
    const topic = i < topics.length ? topics[i] : pick(topics);
    const words = [
      ...Array.from({ length: 4 }, () => pick(TOPICS[topic])),
      ...Array.from({ length: 4 }, () => pick(SHARED)),
    ];
    words.sort(() => rnd() - 0.5);
    const text = words.join(' ').replace(/^./, (c) => c.toUpperCase()) + pick(['.', '!', ', indeed.', ' "quoted"']);
    const label = rnd() < 0.05 ? pick(topics.filter((t) => t !== topic)) : topic;
    rows.push(`"${text.replaceAll('"', '""')}",${label}`);
  }
  return rows.join('\n') + '\n';
}

async function param(page: Page, name: string, value: string) {
  await page.locator(`#param-${name}`).fill(value);
}
async function choose(page: Page, name: string, value: string) {
  await page.locator(`#param-${name}`).selectOption(JSON.stringify(value));
}

test('train the text classifier on an uploaded text csv; the adapted vocabulary and the accuracy show', async ({
  editor: page,
}) => {
  test.setTimeout(240_000);
  page.on('dialog', (d) => void d.accept());
  const errors = pageErrors(page);
  const csv = join(tmpdir(), `topics-${Date.now()}.csv`);
  writeFileSync(csv, textCsv(2000));

  await page.getByRole('button', { name: 'New', exact: true }).click();
  await addLayer(page, 'Input');
  await param(page, 'shape', '1');
  await choose(page, 'dtype', 'string');
  await addLayer(page, 'TextVectorization');
  await param(page, 'max_tokens', '200');
  await param(page, 'output_sequence_length', '16');
  await addLayer(page, 'Embedding');
  await param(page, 'input_dim', '200');
  await param(page, 'output_dim', '16');
  await addLayer(page, 'GlobalAveragePooling1D');
  await addLayer(page, 'Dense');
  await param(page, 'units', '3');
  await choose(page, 'activation', 'softmax');
  await addLayer(page, 'Output');
  await choose(page, 'loss', 'sparse_categorical_crossentropy');
  await page.locator('#param-metrics').getByLabel('accuracy', { exact: true }).check();
  await settled(page);
  await expect(page.getByTestId('check-status')).not.toHaveClass(/bad/);
  await shot(page, 'text-01-built');

  await page.getByTestId('tab-training').click();
  await page.getByTestId('dataset-upload').setInputFiles(csv);
  await expect(page.getByTestId('csv-upload')).toBeVisible();
  await page.getByTestId('csv-target').selectOption('topic');
  await page.getByTestId('csv-upload-go').click();
  await expect(page.getByTestId('dataset-fits')).toBeVisible({
    timeout: 30_000,
  });
  await expect(page.getByTestId('dataset-inputs')).toContainText('string');
  await shot(page, 'text-02-uploaded');

  // before a run the node says a run will adapt it
  await page.getByRole('button', { name: 'Fit to view' }).click(); // the chain in view, above the dock
  await selectNode(page, 'textvectorization');
  await expect(page.getByTestId('adapted')).toContainText('adapts this layer to its training split');
  await expect(page.getByTestId('adapted-vocabulary')).toHaveCount(0);

  await page.getByTestId('epochs').fill('5');
  await page.getByTestId('batch-size').fill('32');
  await page.getByTestId('learning-rate').fill('0.01');
  await page.getByTestId('start-run').click();
  const view = page.getByTestId('run-view');
  await expect(view).toHaveAttribute('data-status', 'succeeded', {
    timeout: 180_000,
  });
  const runId = (await view.getAttribute('data-run-id'))!;

  // the TextVectorization node: the vocabulary it learned from the training split
  const words = new Set([...Object.values(TOPICS).flat(), ...SHARED, 'indeed', 'quoted']);
  const adapted = page.getByTestId('adapted');
  await expect(adapted).toHaveAttribute('data-run-id', runId);
  await expect(page.getByTestId('adapted-vocabulary')).toHaveText(`${words.size + 2} tokens`); // with '' and [UNK]
  const tokens = await page.getByTestId('adapted-tokens').locator('li').allTextContents();
  expect(tokens).toHaveLength(20);
  for (const t of tokens) expect(words.has(t), t).toBe(true);
  await shot(page, 'text-03-adapted');

  // the run's results: accuracy on the validation split far above chance (1/3)
  await page.getByTestId('run-page-results').click();
  const results = page.getByTestId('results');
  await expect(results).toBeVisible({ timeout: 30_000 });
  await expect(results).toHaveAttribute('data-samples', '400');
  // the stored report (the validation split): the confusion matrix's diagonal
  const cells = await results.getByTestId('confusion-cell').evaluateAll((els) =>
    els.map((e) => ({
      at: e.getAttribute('data-cell')!.split(',').map(Number),
      n: Number(e.textContent),
    })),
  );
  expect(cells).toHaveLength(9);
  const total = cells.reduce((a, c) => a + c.n, 0);
  const right = cells.filter((c) => c.at[0] === c.at[1]).reduce((a, c) => a + c.n, 0);
  expect(total).toBe(400);
  expect(right / total).toBeGreaterThan(0.8);
  await expect(results.getByTestId('class-row')).toHaveCount(3);
  // evaluated again on the whole set: Keras's accuracy
  await results.getByTestId('evaluate-run').click();
  await expect(results).toHaveAttribute('data-samples', '2000', {
    timeout: 60_000,
  });
  const text = await results.locator('p').first().innerText();
  const accuracy = Number(/\baccuracy ([\d.]+)/.exec(text)?.[1]);
  expect(accuracy, text).toBeGreaterThan(0.8);
  await shot(page, 'text-04-results');
  expect(errors).toEqual([]);
});
