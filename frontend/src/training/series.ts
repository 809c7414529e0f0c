/**
 * Chart data built from run events. One table per run: a shared x axis in epochs
 * (batch b of epoch e sits at e + (b+1)/batches, the end of epoch e at e+1, so an
 * epoch's values share the row of its last batch) and one column per series:
 * `batch:<metric>` (Keras's running mean within the epoch) and `epoch:<metric>`
 * (train and `val_` values at the end of each epoch). Columns line up with x and
 * hold null where a series has no point; the arrays are appended in place so a
 * live chart only re-reads them (uPlot's column layout).
 */
import type { BatchEvent, EpochEvent, Metrics, RunEvent } from './types';

export type Column = (number | null)[];

export interface SeriesTable {
  x: number[];
  cols: Map<string, Column>;
}

export function emptyTable(): SeriesTable {
  return { x: [], cols: new Map() };
}

/** Where a batch lies on the epoch axis; with the batch count unknown, it creeps towards
 * the epoch's end so the points stay in order. */
export function batchStep(ev: Pick<BatchEvent, 'epoch' | 'batch' | 'batches'>): number {
  const within = ev.batches ? (ev.batch + 1) / ev.batches : 1 - 1 / (ev.batch + 2);
  return ev.epoch + within;
}

/** The row for x: appended at the end (the usual case), found, or inserted in order. */
function rowAt(t: SeriesTable, x: number): number {
  const n = t.x.length;
  if (n === 0 || x > t.x[n - 1]) {
    t.x.push(x);
    for (const col of t.cols.values()) col.push(null);
    return n;
  }
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (t.x[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  if (t.x[lo] === x) return lo;
  t.x.splice(lo, 0, x);
  for (const col of t.cols.values()) col.splice(lo, 0, null);
  return lo;
}

function setCell(t: SeriesTable, key: string, row: number, value: number | null | undefined): void {
  let col = t.cols.get(key);
  if (!col) {
    col = new Array<number | null>(t.x.length).fill(null);
    t.cols.set(key, col);
  }
  col[row] = typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function setMetrics(t: SeriesTable, prefix: string, row: number, metrics: Metrics | undefined): void {
  for (const [name, value] of Object.entries(metrics ?? {})) setCell(t, `${prefix}:${name}`, row, value);
}

/** Add one event's points; returns whether the table changed. */
export function addEvent(t: SeriesTable, ev: RunEvent): boolean {
  if (ev.type === 'batch') {
    setMetrics(t, 'batch', rowAt(t, batchStep(ev)), ev.metrics);
    return true;
  }
  if (ev.type === 'epoch') {
    setMetrics(t, 'epoch', rowAt(t, (ev as EpochEvent).epoch + 1), ev.metrics);
    return true;
  }
  return false;
}

/** How many points the table holds over all series (what the e2e test watches grow). */
export function pointCount(t: SeriesTable): number {
  let n = 0;
  for (const col of t.cols.values()) for (const v of col) if (v !== null) n += 1;
  return n;
}

export type SeriesKind = 'batch' | 'train' | 'val';

export interface SeriesSpec {
  col: string;
  kind: SeriesKind;
  label: string;
}

export interface ChartSpec {
  /** The metric without `val_`: `loss`, `accuracy`, `main_output_loss`, ... */
  metric: string;
  series: SeriesSpec[];
}

const KIND_ORDER: Record<SeriesKind, number> = { batch: 0, train: 1, val: 2 };
const LABEL: Record<SeriesKind, string> = { batch: 'batch', train: 'train', val: 'val' };

function chartRank(metric: string): [number, string] {
  if (metric === 'loss') return [0, metric];
  if (metric.endsWith('_loss')) return [1, metric];
  if (metric === 'learning_rate') return [3, metric];
  return [2, metric];
}

/**
 * One chart per metric: loss first, then each output's loss, then the other metrics;
 * each with its batch, train-epoch and validation series, as far as they exist.
 */
export function chartsOf(cols: Iterable<string>): ChartSpec[] {
  const byMetric = new Map<string, SeriesSpec[]>();
  for (const col of cols) {
    const [prefix, name] = [col.slice(0, col.indexOf(':')), col.slice(col.indexOf(':') + 1)];
    const val = prefix === 'epoch' && name.startsWith('val_');
    const metric = val ? name.slice(4) : name;
    const kind: SeriesKind = prefix === 'batch' ? 'batch' : val ? 'val' : 'train';
    const list = byMetric.get(metric) ?? [];
    list.push({ col, kind, label: LABEL[kind] });
    byMetric.set(metric, list);
  }
  return [...byMetric.entries()]
    .map(([metric, series]) => ({ metric, series: series.sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind]) }))
    .sort((a, b) => {
      const [ra, na] = chartRank(a.metric);
      const [rb, nb] = chartRank(b.metric);
      return ra - rb || na.localeCompare(nb);
    });
}

/**
 * Several tables on one x axis (overlaying runs): the sorted union of their x values,
 * and each requested column re-indexed onto it (null where that table has no row).
 */
export function joinColumns(parts: { table: SeriesTable; cols: string[] }[]): { x: number[]; ys: Column[] } {
  if (parts.length === 1) {
    const { table, cols } = parts[0];
    return { x: table.x, ys: cols.map((c) => table.cols.get(c) ?? new Array(table.x.length).fill(null)) };
  }
  const x = [...new Set(parts.flatMap((p) => p.table.x))].sort((a, b) => a - b);
  const index = new Map(x.map((v, i) => [v, i]));
  const ys: Column[] = [];
  for (const { table, cols } of parts) {
    for (const c of cols) {
      const out: Column = new Array(x.length).fill(null);
      const src = table.cols.get(c);
      if (src) table.x.forEach((v, i) => (out[index.get(v)!] = src[i]));
      ys.push(out);
    }
  }
  return { x, ys };
}
