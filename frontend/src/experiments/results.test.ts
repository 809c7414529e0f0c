import { describe, expect, it } from 'vitest';
import type { WorstSample } from './api';
import { cellColour, cellSamples, commonRange, linear, rowShare } from './results';

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
  it("a cell's samples: true class by row, prediction by column", () => {
    const w = (t: string, p: string, index: number) =>
      ({ index, true: t, predicted: p, confidence: 0.9 }) as WorstSample;
    const worst = [w('cat', 'dog', 1), w('dog', 'cat', 2), w('cat', 'dog', 3)];
    expect(cellSamples(worst, ['cat', 'dog'], 0, 1).map((s) => s.index)).toEqual([1, 3]);
    expect(cellSamples(worst, ['cat', 'dog'], 1, 0).map((s) => s.index)).toEqual([2]);
    expect(cellSamples(worst, ['cat', 'dog'], 0, 0)).toEqual([]);
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
