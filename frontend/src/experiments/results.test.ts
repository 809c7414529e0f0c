import { describe, expect, it } from 'vitest';
import type { CellSamples, EvaluatedSample } from './api';
import { cellColour, cellSamples, cellTitle, commonRange, linear, rowShare } from './results';

describe('confusion matrix cells', () => {
  const m = [
    [8, 2],
    [0, 0],
  ];
  it("a cell's share of its row; an empty row shares nothing", () => {
    expect(rowShare(m, 0, 0)).toBe(0.8);
    expect(rowShare(m, 0, 1)).toBe(0.2);
    expect(rowShare(m, 1, 1)).toBe(0);
  });
  it('blue on the diagonal, red off it, white when empty, deeper with the share', () => {
    expect(cellColour(0, true)).toBe('#f8fafc');
    expect(cellColour(1, true)).toBe('hsl(221, 70%, 46%)');
    expect(cellColour(0.5, false)).toBe('hsl(0, 70%, 71%)');
  });
  it("a cell's samples: true class by row, prediction by column; none for a cell not listed", () => {
    const s = (index: number) => ({ index, true: 'cat', predicted: 'dog', confidence: 0.9 }) as EvaluatedSample;
    const cells: CellSamples[] = [
      { true: 0, predicted: 1, samples: [s(1), s(3)] },
      { true: 1, predicted: 0, samples: [s(2)] },
    ];
    expect(cellSamples(cells, 0, 1).map((x) => x.index)).toEqual([1, 3]);
    expect(cellSamples(cells, 1, 0).map((x) => x.index)).toEqual([2]);
    expect(cellSamples(cells, 0, 0)).toEqual([]);
  });
  it("a cell's heading: its classes, its count and how many are listed", () => {
    const classes = ['cat', 'dog'];
    const counts = [
      [30, 12],
      [0, 1],
    ];
    expect(cellTitle(classes, counts, 0, 1, 8)).toBe('cat predicted as dog: 12 samples, the 8 most confident listed');
    expect(cellTitle(classes, counts, 1, 1, 1)).toBe('dog predicted rightly: 1 sample');
    expect(cellTitle(classes, counts, 1, 0, 0)).toBe('dog predicted as cat: no samples');
    expect(cellTitle(classes, counts, 0, 0, 0)).toBe(
      'cat predicted rightly: 30 samples, none listed (the evaluation keeps a bounded number of samples)',
    );
    expect(cellTitle(classes, counts, 0, 1, null)).toBe(
      'cat predicted as dog: 12 samples, not listed by this older evaluation (evaluate again)',
    );
  });
});

describe('scales', () => {
  it('maps linearly, a flat domain to the middle', () => {
    expect(linear(0, 10, 100, 200)(5)).toBe(150);
    expect(linear(0, 10, 200, 100)(10)).toBe(100);
    expect(linear(3, 3, 0, 10)(3)).toBe(5);
  });
  it('one range for both axes of predicted vs true', () => {
    expect(
      commonRange([
        [1, 5],
        [-2, 3],
      ]),
    ).toEqual([-2, 5]);
    expect(commonRange([])).toEqual([0, 1]);
  });
});
