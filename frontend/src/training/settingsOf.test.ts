import { describe, expect, it } from 'vitest';
import { emptyGraph } from '../editor/graph/types';
import { settingsOf, useTraining } from './store';

describe('settingsOf', () => {
  it('starts a run from the graph’s weight set when it has one', () => {
    const form = useTraining.getState().form;
    const plain = emptyGraph();
    expect(settingsOf(form, plain).initial_weights).toBeNull();
    const imported = {
      ...plain,
      layout: { weights: { id: 'ab12', name: 'resnet.keras', bytes: 10, layers: ['conv1'] } },
    };
    expect(settingsOf(form, imported).initial_weights).toEqual({ weights: 'ab12' });
    expect(settingsOf(form, imported).epochs).toBe(form.epochs);
  });
});
