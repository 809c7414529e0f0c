/**
 * A run's evaluation as the results page draws it: each confusion-matrix cell's share of
 * its row (the colour), its listed samples and what the list says of them, and plain
 * linear scales for the regression plots.
 */
import type { CellSamples, EvaluatedSample } from './api';

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

/** The listed samples of cell (i, j): true class `i`, predicted class `j`, the most confident first. */
export function cellSamples(cells: CellSamples[], i: number, j: number): EvaluatedSample[] {
  return cells.find((c) => c.true === i && c.predicted === j)?.samples ?? [];
}

/**
 * The heading of a cell's samples: its classes, how many samples it has and how many are
 * listed (null: an evaluation stored before cells listed samples).
 */
export function cellTitle(classes: string[], matrix: number[][], i: number, j: number, listed: number | null): string {
  const what = i === j ? `${classes[i]} predicted rightly` : `${classes[i]} predicted as ${classes[j]}`;
  const n = matrix[i][j];
  const count = `${n} sample${n === 1 ? '' : 's'}`;
  if (n === 0) return `${what}: no samples`;
  if (listed === null) return `${what}: ${count}, not listed by this older evaluation (evaluate again)`;
  if (listed >= n) return `${what}: ${count}`;
  if (listed === 0) return `${what}: ${count}, none listed (the evaluation keeps a bounded number of samples)`;
  return `${what}: ${count}, the ${listed} most confident listed`;
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
