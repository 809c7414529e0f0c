/**
 * A run's system metrics (its `system` events) as small uPlot charts: CPU, memory, and
 * per GPU its utilisation and memory where the trainer saw GPUs. Loaded on demand.
 */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { dataOf, useTraining } from './store';
import { systemSeries, type SystemChart } from './system';

const COLOURS = ['#4f46e5', '#ea580c', '#0f766e', '#be185d', '#65a30d', '#0369a1'];

function Chart({ chart, x, tick }: { chart: SystemChart; x: number[]; tick: number }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const data = [x, ...chart.series.map((s) => s.values)] as uPlot.AlignedData;
  const dataNow = useRef(data);
  dataNow.current = data;
  const signature = chart.series.map((s) => s.label).join(',');
  useEffect(() => {
    const el = box.current!;
    const u = new uPlot(
      {
        title: `${chart.title} (${chart.unit})`,
        width: Math.max(160, el.clientWidth - 12),
        height: 130,
        scales: { x: { time: false } },
        legend: { show: chart.series.length > 1 },
        axes: [
          { size: 26, font: '10px system-ui', values: (_u, v) => v.map((s) => `${s} s`) },
          { size: 46, font: '10px system-ui' },
        ],
        series: [
          { label: 's' },
          ...chart.series.map((s, i) => ({ label: s.label, stroke: COLOURS[i % COLOURS.length], width: 1.5 })),
        ],
      },
      dataNow.current,
      el,
    );
    plot.current = u;
    const ro = new ResizeObserver(() => {
      const w = Math.max(160, el.clientWidth - 12);
      if (Math.abs(w - u.width) > 2) u.setSize({ width: w, height: u.height });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- rebuilt when its series change
  }, [signature]);
  useEffect(() => {
    plot.current?.setData(dataNow.current);
  }, [tick]);
  return <div className="tr-chart" ref={box} data-testid={`system-${chart.key}`} data-points={x.length} />;
}

export default function SystemCharts({ runId }: { runId: string }) {
  const tick = useTraining((s) => s.tick);
  const events = dataOf(runId)?.system ?? [];
  if (!events.length)
    return (
      <p className="muted small" data-testid="system-none">
        No system samples yet: the trainer sends its CPU, memory and GPU use every few seconds while it fits.
      </p>
    );
  const { x, charts } = systemSeries(events);
  return (
    <div
      className="tr-charts"
      style={{ gridTemplateColumns: 'repeat(auto-fill, minmax(260px, 1fr))' }}
      data-testid="system-charts"
    >
      {charts.map((c) => (
        <Chart key={c.key} chart={c} x={x} tick={tick} />
      ))}
    </div>
  );
}
