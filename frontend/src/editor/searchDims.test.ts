import { describe, expect, it } from 'vitest';
import { paramPointer, searchedParams } from './searchDims';
import { firstDimension } from './inspector/SearchDimension';

describe('search dimensions on node parameters', () => {
  it("points into the run request at the node's parameter", () => {
    expect(paramPointer('dense_1', 'units')).toBe('/graph/nodes/dense_1/params/units');
    expect(paramPointer('a~b', 'x/y')).toBe('/graph/nodes/a~0b/params/x~1y');
  });

  it("finds a node's marked parameters, none of another node's or the settings'", () => {
    const pointers = [
      '/graph/nodes/dense_1/params/units',
      '/settings/optimizer/learning_rate',
      '/graph/nodes/dense_10/params/units',
      '/graph/nodes/dense_1/params/activation',
      '/graph/nodes/a~0b/params/x~1y',
    ];
    expect(searchedParams(pointers, 'dense_1')).toEqual(['units', 'activation']);
    expect(searchedParams(pointers, 'a~b')).toEqual(['x/y']);
    expect(searchedParams(pointers, 'dropout')).toEqual([]);
  });
});

describe("a parameter's first search range", () => {
  const p = '/graph/nodes/d/params/x';
  it('guesses around the value, or from the catalogue', () => {
    expect(firstDimension(p, { name: 'units', kind: 'int', required: true }, 64)).toEqual({
      low: 32,
      high: 128,
      step: 1,
    });
    expect(firstDimension(p, { name: 'rate', kind: 'float', required: true, min: 0, max: 1 }, 0.5)).toEqual({
      low: 0.05,
      high: 5,
      log: true,
    });
    expect(firstDimension(p, { name: 'use_bias', kind: 'bool', required: false }, true)).toEqual({
      choices: [true, false],
    });
    expect(
      firstDimension(p, { name: 'padding', kind: 'choice', required: false, choices: ['valid', 'same'] }, 'same'),
    ).toEqual({
      choices: ['valid', 'same'],
    });
  });

  it("starts a number with no value from the parameter's bounds", () => {
    expect(firstDimension(p, { name: 'units', kind: 'int', required: true, min: 1, max: 512 }, undefined)).toEqual({
      low: 1,
      high: 512,
      step: 1,
    });
  });
});
