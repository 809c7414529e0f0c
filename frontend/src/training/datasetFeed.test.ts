import { describe, expect, it } from 'vitest';
import { feedText } from './SettingsPane';
import type { DatasetInfo } from './types';

const set = (arrays: Record<string, number[]>, inputs: string[], targets: string[]) =>
  ({
    name: 'up',
    arrays: Object.fromEntries(Object.entries(arrays).map(([k, shape]) => [k, { shape, dtype: 'float32' }])),
    inputs,
    targets,
  }) as unknown as DatasetInfo;

describe('what feeds the Input and Output nodes', () => {
  it("names the set's inputs when no array is named like a node", () => {
    expect(feedText(set({ x: [10, 3], y: [10] }, ['x'], ['y']), ['input'], ['x'])).toBe('x 10×3 float32');
  });
  it('names the arrays called like the nodes, for an upload that lists no inputs', () => {
    const up = set({ features: [10, 3], labels: [10] }, [], []);
    expect(feedText(up, ['features'], up.inputs)).toBe('features 10×3 float32');
    expect(feedText(up, ['labels'], up.targets)).toBe('labels 10 float32');
  });
  it('says none rather than nothing', () => {
    expect(feedText(set({ features: [10, 3] }, [], []), ['input'], [])).toBe('—');
  });
});
