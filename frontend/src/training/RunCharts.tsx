/**
 * Live charts (uPlot; this module and uPlot load on demand): one per metric, each with
 * the batch series (thin), the end-of-epoch train series and the validation series;
 * a compared run is drawn dashed on the same axes. Charts re-read their data once per
 * animation frame (the store's `tick`) and are rebuilt only when their series change.
 */
import { memo, useEffect, useMemo, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { chartsOf, joinColumns, type ChartSpec, type SeriesKind, type SeriesTable } from './series';
import { dataOf, useTraining } from './store';
import { isTerminal } from './types';

const COLOURS: Record<SeriesKind, string> = { batch: 'rgba(79, 70, 229, 0.35)', train: '#4f46e5', val: '#ea580c' };
const CHART_HEIGHT = 150;

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

function options(title: string, lines: Line[], width: number): uPlot.Options {
  return {
    title,
    width,
    height: CHART_HEIGHT,
    scales: { x: { time: false } },
    legend: { show: true, live: false },
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

const MetricChart = memo(function MetricChart({ spec, lines, tick }: { spec: ChartSpec; lines: Line[]; tick: number }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const signature = lines.map((l) => `${l.compare ? 'c' : 'v'}:${l.col}`).join('|');

  useEffect(() => {
    const el = box.current!;
    const u = new uPlot(options(spec.metric, lines, Math.max(200, el.clientWidth)), dataOfLines(lines), el);
    plot.current = u;
    const ro = new ResizeObserver(() => {
      const w = Math.max(200, el.clientWidth);
      if (Math.abs(w - u.width) > 2) u.setSize({ width: w, height: CHART_HEIGHT });
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

  const points = lines
    .filter((l) => !l.compare)
    .reduce((n, l) => n + (l.table.cols.get(l.col)?.filter((v) => v !== null).length ?? 0), 0);
  return <div className="tr-chart" ref={box} data-testid={`chart-${spec.metric}`} data-points={points} />;
});

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
    <div className="tr-charts" data-testid="charts" data-points={view.points}>
      {charts.map(({ spec, lines }) => (
        <MetricChart key={spec.metric} spec={spec} lines={lines} tick={tick} />
      ))}
    </div>
  );
}
