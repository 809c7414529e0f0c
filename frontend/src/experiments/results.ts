/**
 * A run's evaluation as the results page draws it: each confusion-matrix cell's share of
 * its row (the colour) and the listed samples in it, and plain linear scales for the
 * regression plots.
 */
import type { WorstSample } from './api';

/** The share of row `i` (true class) that cell (i, j) holds; 0 for an empty row. */
export function rowShare(matrix: number[][], i: number, j: number): number {
  const total = matrix[i].reduce((a, b) => a + b, 0);
  return total ? matrix[i][j] / total : 0;
}

/** A cell's background: blue along the diagonal (right), red off it (wrong), deeper with its share. */
export function cellColour(share: number, diagonal: boolean): string {
  const hue = diagonal ? 221 : 0;
  return share === 0 ? '#f8fafc' : `hsl(${hue}, 70%, ${Math.round(96 - share * 50)}%)`;
}

/** The listed samples whose true class is `classes[i]` and prediction `classes[j]`. */
export function cellSamples(worst: WorstSample[], classes: string[], i: number, j: number): WorstSample[] {
  return worst.filter((w) => w.true === classes[i] && w.predicted === classes[j]);
}

/** A linear map from [d0, d1] to [r0, r1] (a flat domain maps to the middle). */
export function linear(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  return (v) => (d1 === d0 ? (r0 + r1) / 2 : r0 + ((v - d0) / (d1 - d0)) * (r1 - r0));
}

/** The range that holds every value of both axes of predicted-vs-true (so y = x is the diagonal). */
export function commonRange(points: [number, number][] | number[][]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const [a, b] of points) {
    lo = Math.min(lo, a, b);
    hi = Math.max(hi, a, b);
  }
  return lo === Infinity ? [0, 1] : [lo, hi];
}

export function formatScore(v: number | null | undefined): string {
  return v === null || v === undefined ? '–' : v.toFixed(3);
}
