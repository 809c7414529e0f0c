/**
 * One uPlot chart with a line per run (the overlay). Rebuilt when the runs, the metric or
 * an axis scale change; otherwise its data is replaced in place (live runs, smoothing).
 * After each draw it writes how many lines it drew with points in `data-drawn` (the
 * specs and the speed bench wait for it).
 */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatValue, runColour, type Overlay } from './overlay';

interface Props {
  metric: string;
  ids: string[];
  /** Each run's index in the whole list, so its colour stays when others are ticked. */
  colourIndex: number[];
  overlay: Overlay;
  logX: boolean;
  logY: boolean;
  height: number;
}

export default function OverlayChart({ metric, ids, colourIndex, overlay, logX, logY, height }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const data = [overlay.x, ...overlay.ys] as uPlot.AlignedData;
  const dataNow = useRef(data);
  dataNow.current = data;
  const signature = `${metric}|${logX}|${logY}|${ids.join(',')}|${colourIndex.join(',')}`;

  useEffect(() => {
    const el = box.current!;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      scales: { x: { time: false, distr: logX ? 3 : 1 }, y: { distr: logY ? 3 : 1 } },
      legend: { show: false },
      cursor: { drag: { x: true, y: false }, focus: { prox: 16 } },
      focus: { alpha: 0.25 },
      axes: [
        { label: 'epoch', size: 30, labelSize: 14, font: '10px system-ui', labelFont: '10px system-ui' },
        { size: 52, font: '10px system-ui', values: (_u, vals) => vals.map((v) => formatValue(v)) },
      ],
      series: [
        { label: 'epoch' },
        ...ids.map((id, i) => ({
          label: id.slice(0, 8),
          stroke: runColour(colourIndex[i]),
          width: 1.5,
          spanGaps: true,
          points: { show: ids.length <= 10, size: 4 },
        })),
      ],
      hooks: {
        draw: [
          (u: uPlot) => {
            el.dataset.drawn = String(u.data.slice(1).filter((col) => col.some((v) => v !== null)).length);
          },
        ],
      },
    };
    el.dataset.drawn = '';
    const u = new uPlot(opts, dataNow.current, el);
    plot.current = u;
    const ro = new ResizeObserver(() => {
      if (Math.abs(el.clientWidth - u.width) > 2) u.setSize({ width: Math.max(200, el.clientWidth), height: u.height });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
    // rebuilt only when the series or scales change (signature); data goes through setData
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [signature]);

  useEffect(() => {
    plot.current?.setData(data);
  });

  useEffect(() => {
    const u = plot.current;
    if (u && u.height !== height) u.setSize({ width: u.width, height });
  }, [height]);

  return (
    <div className="xp-chart" ref={box} data-testid="overlay-chart" data-metric={metric} data-series={ids.length} />
  );
}
