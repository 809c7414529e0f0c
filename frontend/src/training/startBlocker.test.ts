import { describe, expect, it } from 'vitest';
import { answerOfErrors, emptyGraph, type Graph } from '../editor/graph/types';
import { startBlocker, type BlockerInput } from './startBlocker';

const graph: Graph = {
  ...emptyGraph(),
  nodes: [
    { id: 'in', type: 'Input', params: { shape: [64] } },
    { id: 'd', type: 'Dense', params: { units: 10 } },
    { id: 'out', type: 'Output', params: { loss: 'sparse_categorical_crossentropy' } },
  ],
};
const ok: BlockerInput = {
  graph,
  validation: { ...answerOfErrors([]), valid: true, model_type: 'sequential', total_params: 650 },
  dataset: 'digits_flat',
  check: { kind: 'done', answer: { fits: true, errors: [], dataset: null, graph_valid: true } },
  starting: false,
  form: { epochs: 3, batchSize: 32, learningRate: 0.001, validationSplit: 0.2 },
  // as GET /api/training/options publishes them
  bounds: {
    epochs: { minimum: 1, maximum: 100000, exclusive_minimum: false, exclusive_maximum: false },
    batch_size: { minimum: 1, maximum: 1000000, exclusive_minimum: false, exclusive_maximum: false },
    validation_split: { minimum: 0, maximum: 1, exclusive_minimum: false, exclusive_maximum: true },
    learning_rate: { minimum: 0, maximum: 10, exclusive_minimum: true, exclusive_maximum: false },
  },
};

describe('startBlocker', () => {
  it('lets a valid graph with a fitting data set start', () => {
    expect(startBlocker(ok)).toBeNull();
  });
  it('names the first graph error and its node', () => {
    const validation = {
      ...ok.validation!,
      valid: false,
      errors: [{ node: 'd', param: 'units', code: 'bad_param', message: 'units must be > 0' }],
    };
    expect(startBlocker({ ...ok, validation })).toBe('The graph has 1 error: d: units must be > 0');
  });
  it('says why the data set does not fit', () => {
    const check = {
      kind: 'done' as const,
      answer: {
        fits: false,
        graph_valid: true,
        dataset: null,
        errors: [
          {
            node: 'in',
            param: null,
            code: 'shape_mismatch',
            message: 'Input in expects (None, 784) but x is (1797, 64)',
          },
        ],
      },
    };
    expect(startBlocker({ ...ok, check })).toBe(
      'The data set does not fit: Input in expects (None, 784) but x is (1797, 64)',
    );
  });
  it('waits for the check, and refuses empty graphs and bad numbers', () => {
    expect(startBlocker({ ...ok, check: { kind: 'checking' } })).toMatch(/Checking/);
    expect(startBlocker({ ...ok, graph: emptyGraph() })).toMatch(/Draw a model/);
    expect(startBlocker({ ...ok, graph: { ...graph, nodes: graph.nodes.slice(0, 2) } })).toMatch(/Output node/);
    expect(startBlocker({ ...ok, form: { ...ok.form, epochs: 0 } })).toMatch(/Epochs/);
    expect(startBlocker({ ...ok, form: { ...ok.form, learningRate: NaN } })).toMatch(/Learning rate/);
    expect(startBlocker({ ...ok, form: { ...ok.form, learningRate: 0 } })).toBe('Learning rate must be > 0 and ≤ 10.');
    expect(startBlocker({ ...ok, form: { ...ok.form, validationSplit: 1 } })).toBe(
      'Validation split must be ≥ 0 and < 1.',
    );
    expect(startBlocker({ ...ok, form: { ...ok.form, batchSize: 2.5 } })).toMatch(/whole number/);
    expect(startBlocker({ ...ok, bounds: {} })).toMatch(/training options/);
    expect(startBlocker({ ...ok, check: { kind: 'error', message: 'offline' } })).toMatch(/offline/);
  });
});
