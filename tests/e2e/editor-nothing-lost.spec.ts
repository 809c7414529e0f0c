/**
 * Nothing is lost: the graph being drawn comes back after a reload (with a note), an
 * imported graph counts as unsaved, New / Open / Template ask before dropping unsaved
 * work, and a .keras file is read in the page: only its config.json is sent.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page, Request } from '@playwright/test';
import { expect, openTemplate, selectNode, shot, test } from './fixtures';

const ROOT = resolve(__dirname, '..', '..');

/** A real .keras file with about 8 MB of weights, written by Keras. */
function kerasFile(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'lf-keras-')), 'wide_mlp.keras');
  const code = [
    'import keras, sys',
    'm = keras.Sequential([keras.Input((784,)), keras.layers.Dense(2500, activation="relu", name="wide"),',
    '    keras.layers.Dense(10, name="logits")], name="wide_mlp")',
    'm.save(sys.argv[1])',
  ].join('\n');
  execFileSync(join(ROOT, '.venv', 'bin', 'python'), ['-c', code, path], {
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' },
    stdio: 'ignore',
  });
  return path;
}

/** Answer the next confirm() with `accept`, and return its text. */
function nextConfirm(page: Page, accept: boolean): Promise<string> {
  return new Promise((ok) =>
    page.once('dialog', async (d) => {
      ok(d.message());
      await (accept ? d.accept() : d.dismiss());
    }),
  );
}

test('a reload brings the draft back with a note', async ({ editor: page }) => {
  await openTemplate(page, 'sequential_mlp_mnist');
  await selectNode(page, 'dense_1');
  await page.locator('#param-units').fill('99');
  await expect(page.getByTestId('node-dense_1').getByTestId('node-shape')).toHaveText('(None, 99)');
  await expect(page.locator('.toolbar .dirty')).toBeVisible();
  await page.waitForTimeout(600); // past the draft's write delay
  await page.reload();
  await expect(page.getByTestId('toast')).toContainText('Restored');
  await expect(page.getByTestId('toast')).toContainText('unsaved changes');
  await expect(page.getByTestId('node-dense_1').getByTestId('node-shape')).toHaveText('(None, 99)');
  await expect(page.locator('.toolbar .dirty')).toBeVisible();
  await shot(page, 'lost-01-draft-restored');
});

test('import a .keras file in the page: config only, counts as unsaved; New and Template ask', async ({
  editor: page,
}) => {
  test.setTimeout(120_000);
  const file = kerasFile();
  expect(statSync(file).size).toBeGreaterThan(7_000_000);
  const sent: Request[] = [];
  page.on('request', (r) => r.url().endsWith('/api/models/import') && sent.push(r));

  await page.getByRole('button', { name: 'Import' }).click();
  await page.getByTestId('import-file').setInputFiles(file);
  await expect(page.getByTestId('open-dialog')).toHaveCount(0);
  await expect(page.getByTestId('node-wide')).toBeVisible();
  await expect(page.getByTestId('check-status')).toContainText('sequential');
  // JSON with the config, a few KB: the weights never left the page
  expect(sent).toHaveLength(1);
  expect(sent[0].headers()['content-type']).toContain('application/json');
  expect(sent[0].postData()!.length).toBeLessThan(20_000);
  expect(JSON.parse(sent[0].postData()!).keras_json).toContain('"wide_mlp"');
  // an import is stored nowhere: unsaved
  await expect(page.locator('.toolbar .dirty')).toBeVisible();
  await shot(page, 'lost-02-imported-keras');

  // New asks; saying no keeps the graph
  let message = nextConfirm(page, false);
  await page.getByRole('button', { name: 'New' }).click();
  expect(await message).toContain('unsaved changes');
  await expect(page.getByTestId('node-wide')).toBeVisible();

  // a template asks too; no keeps the graph, yes opens the template
  message = nextConfirm(page, false);
  await page.getByTestId('open-templates').click();
  await page.getByTestId('template-sequential_mlp_mnist').click();
  expect(await message).toContain('open the template');
  await expect(page.getByTestId('node-wide')).toBeVisible();
  message = nextConfirm(page, true);
  await page.getByTestId('template-sequential_mlp_mnist').click();
  await message;
  await expect(page.getByTestId('open-dialog')).toHaveCount(0);
  await expect(page.getByTestId('node-dense_1')).toBeVisible();
  await expect(page.getByTestId('node-wide')).toHaveCount(0);
  // a template as opened is nothing to lose: New asks nothing and starts at the origin
  await page.getByRole('button', { name: 'New' }).click();
  await expect(page.locator('.react-flow__node')).toHaveCount(0);
  const transform = await page.locator('.react-flow__viewport').getAttribute('style');
  expect(transform).toContain('translate(0px, 0px) scale(1)');
});
