/**
 * Live charts (uPlot; this module and uPlot load on demand): one per metric, each with
 * the batch series (thin), the end-of-epoch train series and the validation series;
 * a compared run is drawn dashed on the same axes. Charts re-read their data once per
 * animation frame (the store's `tick`) and are rebuilt only when their series change.
 */
import { memo, useEffect, useMemo, useRef, useState, type RefObject } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { chartGrid, MAX_PLOT, type ChartGrid } from './chartGrid';
import { chartsOf, joinColumns, type ChartSpec, type SeriesKind, type SeriesTable } from './series';
import { dataOf, useTraining } from './store';
import { isTerminal } from './types';

const COLOURS: Record<SeriesKind, string> = { batch: 'rgba(79, 70, 229, 0.35)', train: '#4f46e5', val: '#ea580c' };

interface Line {
  col: string;
  kind: SeriesKind;
  label: string;
  table: SeriesTable;
  compare: boolean;
}

function linesOf(
  spec: ChartSpec,
  view: SeriesTable,
  compare: SeriesTable | null,
  compareSpec: ChartSpec | undefined,
): Line[] {
  const lines: Line[] = spec.series.map((s) => ({ ...s, table: view, compare: false }));
  if (compare && compareSpec)
    for (const s of compareSpec.series) lines.push({ ...s, label: `${s.label} (B)`, table: compare, compare: true });
  return lines;
}

function dataOfLines(lines: Line[]): uPlot.AlignedData {
  const parts: { table: SeriesTable; cols: string[] }[] = [];
  for (const l of lines) {
    const last = parts[parts.length - 1];
    if (last && last.table === l.table) last.cols.push(l.col);
    else parts.push({ table: l.table, cols: [l.col] });
  }
  const { x, ys } = joinColumns(parts);
  return [x, ...ys] as uPlot.AlignedData;
}

function options(title: string, lines: Line[], width: number, height: number): uPlot.Options {
  return {
    title,
    width,
    height,
    scales: { x: { time: false } },
    legend: { show: false }, // one legend above all charts (the series are the same kinds)
    cursor: { drag: { x: true, y: false } },
    axes: [
      {
        size: 28,
        font: '10px system-ui',
        labelFont: '10px system-ui',
        values: (_u, vals) => vals.map((v) => String(+v.toFixed(2))),
      },
      {
        size: 46,
        font: '10px system-ui',
        values: (_u, vals) => vals.map((v) => (Math.abs(v) >= 1000 ? v.toExponential(1) : String(+v.toPrecision(3)))),
      },
    ],
    series: [
      { label: 'epoch', value: (_u, v) => (v === null ? '–' : v.toFixed(2)) },
      ...lines.map((l) => ({
        label: l.label,
        stroke: COLOURS[l.kind],
        width: l.kind === 'batch' ? 1 : 1.8,
        dash: l.compare ? [5, 4] : undefined,
        spanGaps: true,
        points: { show: l.kind !== 'batch', size: 5 },
        value: (_u: uPlot, v: number | null) => (v === null ? '–' : v.toPrecision(4)),
      })),
    ],
  };
}

const KIND_LABELS: Record<SeriesKind, string> = { batch: 'batch', train: 'train (epoch end)', val: 'validation' };

/** One legend for every chart: each draws the same kinds of series in the same colours. */
function ChartsLegend({ compare }: { compare: boolean }) {
  return (
    <div className="tr-legend small" data-testid="charts-legend">
      {(Object.keys(KIND_LABELS) as SeriesKind[]).map((kind) => (
        <span key={kind}>
          <i style={{ background: COLOURS[kind] }} />
          {KIND_LABELS[kind]}
        </span>
      ))}
      {compare && (
        <span>
          <i className="dashed" />
          run B (dashed)
        </span>
      )}
    </div>
  );
}

interface ChartProps {
  spec: ChartSpec;
  lines: Line[];
  tick: number;
  height: number;
}

const MetricChart = memo(function MetricChart({ spec, lines, tick, height }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const heightNow = useRef(height);
  heightNow.current = height;
  const signature = lines.map((l) => `${l.compare ? 'c' : 'v'}:${l.col}`).join('|');

  useEffect(() => {
    const el = box.current!;
    const width = () => Math.max(120, el.clientWidth - 12); // the box's padding
    const u = new uPlot(options(spec.metric, lines, width(), heightNow.current), dataOfLines(lines), el);
    plot.current = u;
    const ro = new ResizeObserver(() => {
      const w = width();
      if (Math.abs(w - u.width) > 2) u.setSize({ width: w, height: u.height });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
    // rebuilt only when the set of series changes (signature); data updates go through setData below
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [signature, spec.metric]);

  useEffect(() => {
    plot.current?.setData(dataOfLines(lines));
  }, [tick, lines]);

  useEffect(() => {
    const u = plot.current;
    if (u && u.height !== height) u.setSize({ width: u.width, height });
  }, [height]);

  const points = lines
    .filter((l) => !l.compare)
    .reduce((n, l) => n + (l.table.cols.get(l.col)?.filter((v) => v !== null).length ?? 0), 0);
  return (
    <div
      className="tr-chart"
      ref={box}
      data-testid={`chart-${spec.metric}`}
      data-points={points}
      data-series={lines.map((l) => l.label).join(',')}
    />
  );
});

/** The grid that fits `count` charts into the element's box, kept up to date as it resizes. */
function useChartGrid(count: number): [RefObject<HTMLDivElement>, ChartGrid] {
  const ref = useRef<HTMLDivElement>(null);
  const [box, setBox] = useState({ width: 0, height: 0 });
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setBox({ width: el.clientWidth, height: el.clientHeight }));
    ro.observe(el);
    return () => ro.disconnect();
  }, [count > 0]); // eslint-disable-line react-hooks/exhaustive-deps -- the element exists once there are charts
  const grid = box.width && box.height ? chartGrid(count, box.width, box.height) : { columns: 1, plotHeight: MAX_PLOT };
  return [ref, grid];
}

export default function RunCharts({ viewId, compareId }: { viewId: string; compareId: string | null }) {
  const tick = useTraining((s) => s.tick);
  const view = dataOf(viewId);
  const compare = dataOf(compareId);
  const colKey =
    [...(view?.table.cols.keys() ?? [])].join(',') + '/' + [...(compare?.table.cols.keys() ?? [])].join(',');
  const charts = useMemo(() => {
    if (!view) return [];
    const specs = chartsOf(view.table.cols.keys());
    const compareSpecs = compare ? chartsOf(compare.table.cols.keys()) : [];
    return specs.map((spec) => ({
      spec,
      lines: linesOf(
        spec,
        view.table,
        compare?.table ?? null,
        compareSpecs.find((c) => c.metric === spec.metric),
      ),
    }));
    // the column set (colKey) decides the charts; their data is read on every tick
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [colKey, view, compare]);

  const [gridRef, grid] = useChartGrid(charts.length);
  if (!view || !charts.length) {
    return (
      <p className="muted small tr-charts-empty" data-testid="charts" data-points={0}>
        {view && isTerminal(view.status)
          ? 'This run recorded no points.'
          : 'No points yet: the charts start with the first batch.'}
      </p>
    );
  }
  return (
    <>
      <ChartsLegend compare={!!compare} />
      <div
        className="tr-charts"
        ref={gridRef}
        style={{ gridTemplateColumns: `repeat(${grid.columns}, minmax(0, 1fr))` }}
        data-testid="charts"
        data-points={view.points}
      >
        {charts.map(({ spec, lines }) => (
          <MetricChart key={spec.metric} spec={spec} lines={lines} tick={tick} height={grid.plotHeight} />
        ))}
      </div>
    </>
  );
}
