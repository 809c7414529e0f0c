import { describe, expect, it } from 'vitest';
import { layerErrorMarks } from './layerErrors';

describe('layerErrorMarks', () => {
  it('colours by relative error on a log scale, the worst node hottest, with its value', () => {
    const marks = layerErrorMarks({
      a: { max_abs: 0.01, mean_abs: 0.001, relative: 0.001 },
      b: { max_abs: 0.1, mean_abs: 0.01, relative: 0.1 },
      c: { max_abs: 0.05, mean_abs: 0.005, relative: 0.01 },
    });
    expect(marks.get('a')!.heat).toBe(0);
    expect(marks.get('b')!.heat).toBe(1);
    expect(marks.get('c')!.heat).toBeCloseTo(0.5, 10);
    expect(marks.get('b')!.text).toBe('quantization error 10 % (max 0.10)');
  });
  it('one node, or all equal: full heat; zero error does not break the scale', () => {
    expect(layerErrorMarks({ a: { max_abs: 0, mean_abs: 0, relative: 0 } }).get('a')!.heat).toBe(1);
  });
});
