/**
 * The sweep's trials as parallel coordinates (SVG): an axis per dimension and one for
 * the objective (the best on top); a line per trial, coloured from worst (pale) to best
 * (dark), the best trial thick, pruned ones dashed, trials still running grey and
 * stopping at the last axis they have.
 */
import { useEffect, useRef, useState } from 'react';
import type { Sweep } from './api';
import { axesOf, trialLine } from './parallel';

const HEIGHT = 220;
const PAD = { top: 34, bottom: 18, left: 40, right: 50 };

export function ParallelCoords({ sweep }: { sweep: Sweep }) {
  const box = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(600);
  useEffect(() => {
    const el = box.current!;
    const ro = new ResizeObserver(() => setWidth(Math.max(300, el.clientWidth)));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const axes = axesOf(sweep);
  const step = (width - PAD.left - PAD.right) / Math.max(1, axes.length - 1);
  const xOf = (i: number) => PAD.left + i * step;
  const yOf = (p: number) => PAD.top + (1 - p) * (HEIGHT - PAD.top - PAD.bottom);
  const objective = axes[axes.length - 1];
  return (
    <div ref={box} className="xp-parcoords" data-testid="parcoords">
      <svg width={width} height={HEIGHT} role="img" aria-label="Trials as parallel coordinates">
        {sweep.trials.map((t) => {
          const line = trialLine(axes, t);
          let d = '';
          line.forEach((p, i) => {
            if (p === null) return;
            d += `${d ? 'L' : 'M'}${xOf(i).toFixed(1)},${yOf(p).toFixed(1)}`;
          });
          const score = objective.place(t.value);
          const colour = score === null ? '#9ca3af' : `hsl(243, 75%, ${Math.round(82 - score * 50)}%)`;
          const best = sweep.best?.number === t.number;
          return (
            <path
              key={t.number}
              d={d}
              stroke={colour}
              className={`trial ${best ? 'best' : ''} ${t.state === 'pruned' ? 'pruned' : ''}`}
              data-testid="parcoords-trial"
              data-trial={t.number}
            >
              <title>
                trial {t.number} ({t.state}){t.value !== null && t.value !== undefined ? `: ${t.value}` : ''}
              </title>
            </path>
          );
        })}
        {axes.map((a, i) => (
          <g key={a.key} className="axis" transform={`translate(${xOf(i)},0)`} data-testid="parcoords-axis">
            <line y1={yOf(0)} y2={yOf(1)} />
            <text y={12} textAnchor="middle" fontWeight={600}>
              {a.label}
            </text>
            {a.ticks.map((t) => (
              <text key={`${t.at}-${t.text}`} x={-4} y={yOf(t.at) + 3} textAnchor="end">
                {t.text}
              </text>
            ))}
          </g>
        ))}
      </svg>
    </div>
  );
}
