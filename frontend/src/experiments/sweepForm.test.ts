import { describe, expect, it } from 'vitest';
import type { Graph } from '../editor/graph/types';
import { defaultDimension, dimensionOf, kindOf, parseChoices, pointerSuggestions, valueAt } from './sweepForm';

describe('dimensionOf', () => {
  it('builds each kind and says what is wrong', () => {
    expect(dimensionOf('range', { low: '0.1', high: '0.5' })).toEqual({ low: 0.1, high: 0.5 });
    expect(dimensionOf('log', { low: '1e-4', high: '1e-1' })).toEqual({ low: 1e-4, high: 0.1, log: true });
    expect(dimensionOf('int', { low: '8', high: '64', step: '8' })).toEqual({ low: 8, high: 64, step: 8 });
    expect(dimensionOf('choices', { low: '', high: '', choices: 'relu, tanh' })).toEqual({ choices: ['relu', 'tanh'] });
    expect(dimensionOf('range', { low: 'x', high: '1' })).toBe('low is not a number');
    expect(dimensionOf('range', { low: '2', high: '1' })).toBe('low must be below high');
    expect(dimensionOf('log', { low: '0', high: '1' })).toBe('a log range needs low > 0');
    expect(dimensionOf('int', { low: '1.5', high: '4' })).toBe('an integer range needs whole low and high');
    expect(dimensionOf('choices', { low: '', high: '', choices: ' , ' })).toBe(
      'give at least one choice (comma-separated)',
    );
  });
  it('kindOf reads the kind back', () => {
    for (const kind of ['range', 'log', 'int', 'choices'] as const) {
      const d = dimensionOf(kind, { low: '1', high: '4', step: '1', choices: 'a' });
      expect(typeof d === 'string' ? d : kindOf(d)).toBe(kind);
    }
  });
});

describe('parseChoices', () => {
  it('numbers, booleans and null as such, the rest as text', () => {
    expect(parseChoices('4, 8.5, relu, true, null, "x"')).toEqual([4, 8.5, 'relu', true, null, 'x']);
  });
});

const graph = {
  nodes: [
    { id: 'input', type: 'Input', params: { shape: [4] } },
    { id: 'd/1', type: 'Dense', params: { units: 16, activation: 'relu', use_bias: true } },
    { id: 'out', type: 'Output', params: { loss: 'mse' } },
  ],
} as unknown as Graph;

describe('pointers', () => {
  it('suggests number and text params of layers (ids escaped) and the usual settings', () => {
    expect(pointerSuggestions(graph)).toEqual([
      '/graph/nodes/d~11/params/units',
      '/graph/nodes/d~11/params/activation',
      '/settings/optimizer/learning_rate',
      '/settings/batch_size',
      '/settings/epochs',
    ]);
  });
  it('reads a value by node id or index, and guesses a dimension around it', () => {
    const request = { graph, settings: { optimizer: { learning_rate: 0.01 } } };
    expect(valueAt(request, '/graph/nodes/d~11/params/units')).toBe(16);
    expect(valueAt(request, '/graph/nodes/1/params/activation')).toBe('relu');
    expect(valueAt(request, '/settings/nothing/here')).toBeUndefined();
    expect(defaultDimension('/graph/nodes/d~11/params/units', 16)).toEqual({ low: 8, high: 32, step: 1 });
    const lr = defaultDimension('/settings/optimizer/learning_rate', 0.01) as {
      low: number;
      high: number;
      log: boolean;
    };
    expect(lr.log).toBe(true);
    expect(lr.low).toBeCloseTo(0.001, 12);
    expect(lr.high).toBeCloseTo(0.1, 12);
    expect(defaultDimension('/x', 'relu')).toEqual({ choices: ['relu'] });
  });
});
