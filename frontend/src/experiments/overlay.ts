/**
 * The run overlay's data: any number of runs' end-of-epoch values of one metric on one
 * x axis (epochs), smoothed with an exponential moving average as TensorBoard does
 * (debiased, so the first points are not pulled towards zero), with each run's min,
 * max and last value; and the runs grouped by the sweep that made them.
 */
import type { Column, SeriesTable } from '../training/series';

/** The metrics a run's table has end-of-epoch values of (`loss`, `val_loss`, ...). */
export function epochMetrics(tables: Iterable<SeriesTable>): string[] {
  const names = new Set<string>();
  for (const t of tables) for (const col of t.cols.keys()) if (col.startsWith('epoch:')) names.add(col.slice(6));
  const rank = (m: string) => (m === 'loss' ? 0 : m === 'val_loss' ? 1 : m.includes('loss') ? 2 : 3);
  return [...names].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/**
 * TensorBoard's smoothing: each point is `weight` of the running average and `1 - weight`
 * of itself, divided by `1 - weight^n` (n points so far). 0 leaves the values as they
 * are; nulls stay null and do not count.
 */
export function ema(values: Column, weight: number): Column {
  if (weight <= 0) return values;
  let last = 0;
  let n = 0;
  return values.map((v) => {
    if (v === null || !Number.isFinite(v)) return null;
    last = last * weight + (1 - weight) * v;
    n += 1;
    return last / (1 - weight ** n);
  });
}

export interface Summary {
  min: number | null;
  max: number | null;
  last: number | null;
}

export function summarize(values: Column): Summary {
  let min: number | null = null;
  let max: number | null = null;
  let last: number | null = null;
  for (const v of values) {
    if (v === null || !Number.isFinite(v)) continue;
    min = min === null ? v : Math.min(min, v);
    max = max === null ? v : Math.max(max, v);
    last = v;
  }
  return { min, max, last };
}

export interface OverlayRun {
  id: string;
  table: SeriesTable;
}

export interface Overlay {
  /** Epochs (1 = the end of the first), the union over the runs. */
  x: number[];
  /** Per run, its (smoothed) values on x; null where it has none. */
  ys: Column[];
  /** Per run, min/max/last of its raw values. */
  summaries: Summary[];
}

/**
 * The runs' `epoch:<metric>` values on the union of their epochs, each smoothed;
 * `positive` drops values a log axis cannot draw (zero and below).
 */
export function overlayOf(runs: OverlayRun[], metric: string, smoothing: number, positive = false): Overlay {
  const key = `epoch:${metric}`;
  const points = runs.map(({ table }) => {
    const col = table.cols.get(key);
    const xs: number[] = [];
    const vs: number[] = [];
    if (col)
      for (let i = 0; i < col.length; i++) {
        const v = col[i];
        if (v !== null && Number.isFinite(v)) {
          xs.push(table.x[i]);
          vs.push(v);
        }
      }
    return { xs, vs };
  });
  const x = [...new Set(points.flatMap((p) => p.xs))].sort((a, b) => a - b);
  const index = new Map(x.map((v, i) => [v, i]));
  const ys: Column[] = [];
  const summaries: Summary[] = [];
  for (const { xs, vs } of points) {
    summaries.push(summarize(vs));
    const smoothed = ema(vs, smoothing);
    const out: Column = new Array<number | null>(x.length).fill(null);
    xs.forEach((xv, i) => {
      const v = smoothed[i];
      out[index.get(xv)!] = positive && v !== null && v <= 0 ? null : v;
    });
    ys.push(out);
  }
  return { x, ys, summaries };
}

/** A colour per run, far apart for neighbours (the golden angle round the hue circle). */
export function runColour(i: number): string {
  return `hsl(${Math.round((i * 137.508) % 360)}, 70%, 45%)`;
}

export interface SweepRef {
  id: string;
  trials: { number: number; run_id: string | null }[];
}

export interface RunGroup<R> {
  /** The sweep's id; null for runs started on their own. */
  sweep: string | null;
  runs: R[];
}

/**
 * Runs by the sweep that made them (each sweep's runs in trial order, sweeps newest
 * first as listed), then the runs no sweep made, in their own order.
 */
export function groupBySweep<R extends { id: string }>(runs: R[], sweeps: SweepRef[]): RunGroup<R>[] {
  const byId = new Map(runs.map((r) => [r.id, r]));
  const taken = new Set<string>();
  const groups: RunGroup<R>[] = [];
  for (const s of sweeps) {
    const members = [...s.trials]
      .sort((a, b) => a.number - b.number)
      .map((t) => (t.run_id ? byId.get(t.run_id) : undefined))
      .filter((r): r is R => !!r && !taken.has(r.id));
    members.forEach((r) => taken.add(r.id));
    if (members.length) groups.push({ sweep: s.id, runs: members });
  }
  const rest = runs.filter((r) => !taken.has(r.id));
  if (rest.length) groups.push({ sweep: null, runs: rest });
  return groups;
}

export function formatValue(v: number | null): string {
  if (v === null) return '–';
  const a = Math.abs(v);
  return a !== 0 && (a >= 1e4 || a < 1e-3) ? v.toExponential(2) : String(Number(v.toPrecision(4)));
}
