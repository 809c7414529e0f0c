import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { TrainingOptions } from './state';

/** localStorage as a browser keeps it from one visit to the next. */
function browserStorage(): Storage {
  const items = new Map<string, string>();
  return {
    get length() {
      return items.size;
    },
    key: (i) => [...items.keys()][i] ?? null,
    getItem: (k) => items.get(k) ?? null,
    setItem: (k, v) => void items.set(k, String(v)),
    removeItem: (k) => void items.delete(k),
    clear: () => items.clear(),
  };
}

function optionsWith(defaults: TrainingOptions['defaults']): TrainingOptions {
  return { optimizers: [], losses: [], metrics: [], backends: [], statuses: [], bounds: {}, defaults };
}

const SERVER_DEFAULTS = {
  optimizer: { name: 'adam', learning_rate: 0.001 },
  epochs: 10,
  batch_size: 32,
  validation_split: 0.2,
  layer_stats: true,
};

/** A page load: the state module read afresh (the form from this browser's storage). */
async function load() {
  vi.resetModules();
  return import('./state');
}

/** A page load once the server's options (its defaults) arrived. */
async function visit(defaults: TrainingOptions['defaults'] = SERVER_DEFAULTS) {
  const state = await load();
  state.setOptions(optionsWith(defaults));
  return state;
}

describe('the training form across reloads', () => {
  beforeEach(() => {
    vi.stubGlobal('localStorage', browserStorage());
  });

  it('keeps a box ticked off when the server ticks it by default', async () => {
    (await visit()).setForm({ layerStats: false });
    expect((await visit()).useTraining.getState().form.layerStats).toBe(false);
  });

  it('keeps a box ticked off before the server’s defaults arrived', async () => {
    const state = await load();
    state.setForm({ layerStats: false });
    state.setOptions(optionsWith(SERVER_DEFAULTS));
    expect(state.useTraining.getState().form.layerStats).toBe(false);
  });

  it('keeps a ticked box when the server leaves it off by default', async () => {
    (await visit()).setForm({ layerStats: true });
    const form = (await visit({ ...SERVER_DEFAULTS, layer_stats: false })).useTraining.getState().form;
    expect(form.layerStats).toBe(true);
  });

  it('lets a field never set follow the server’s default', async () => {
    (await visit({ ...SERVER_DEFAULTS, layer_stats: false })).setForm({ epochs: 3, dataset: 'iris' });
    const form = (await visit()).useTraining.getState().form;
    expect(form).toMatchObject({ epochs: 3, dataset: 'iris', layerStats: true, batchSize: 32 });
  });

  it('takes the server’s default for a field emptied (a number field cleared)', async () => {
    (await visit()).setForm({ epochs: NaN });
    expect((await visit()).useTraining.getState().form.epochs).toBe(10);
  });

  it('reads the whole form an older editor kept: its set fields, not a box off (the default of the time)', async () => {
    localStorage.setItem(
      'layerforge.trainForm',
      JSON.stringify({ dataset: 'iris', optimizer: 'sgd', epochs: 3, batchSize: null, layerStats: false }),
    );
    const form = (await visit()).useTraining.getState().form;
    expect(form).toMatchObject({ dataset: 'iris', optimizer: 'sgd', epochs: 3, batchSize: 32, layerStats: true });
  });

  it('ignores what is not a value of the field’s type', async () => {
    localStorage.setItem('layerforge.trainForm.chosen', JSON.stringify({ epochs: '3', layerStats: 'no', other: 1 }));
    const form = (await visit()).useTraining.getState().form;
    expect(form).toMatchObject({ epochs: 10, layerStats: true });
    expect(form).not.toHaveProperty('other');
  });
});
