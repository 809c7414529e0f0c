/**
 * A parallel-coordinates plot of a sweep's trials, as numbers: one axis per search
 * dimension (linear, log or the list of choices) and one for the objective, each trial a
 * polyline through its values, every value placed at 0 (bottom) .. 1 (top) on its axis.
 */
import type { Dimension, Sweep, Trial } from './api';

export interface Axis {
  key: string;
  label: string;
  /** Where a value sits on the axis, 0..1; null when the trial has none. */
  place(value: unknown): number | null;
  /** Tick labels at their places. */
  ticks: { at: number; text: string }[];
}

/** `/graph/nodes/dense_1/params/units` -> `dense_1.units`; `/settings/optimizer/learning_rate` -> `optimizer.learning_rate`. */
export function dimensionLabel(pointer: string): string {
  const parts = pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (parts[0] === 'graph' && parts[1] === 'nodes' && parts[3] === 'params')
    return `${parts[2]}.${parts.slice(4).join('.')}`;
  if (parts[0] === 'settings') return parts.slice(1).join('.');
  return parts.join('.');
}

export function formatNumber(v: number): string {
  const a = Math.abs(v);
  return a !== 0 && (a >= 1e4 || a < 1e-2) ? v.toExponential(1) : String(Number(v.toPrecision(3)));
}

function rangeAxis(key: string, label: string, low: number, high: number, log: boolean): Axis {
  const f = log ? Math.log : (v: number) => v;
  const [a, b] = [f(low), f(high)];
  const place = (value: unknown) => {
    if (typeof value !== 'number' || !Number.isFinite(value) || (log && value <= 0)) return null;
    return b === a ? 0.5 : Math.min(1, Math.max(0, (f(value) - a) / (b - a)));
  };
  const ticks = [0, 0.5, 1].map((at) => {
    const v = log ? Math.exp(a + (b - a) * at) : low + (high - low) * at;
    return { at, text: formatNumber(v) };
  });
  return { key, label, place, ticks };
}

function choiceAxis(key: string, label: string, choices: unknown[]): Axis {
  const texts = choices.map((c) => JSON.stringify(c));
  const at = (i: number) => (choices.length === 1 ? 0.5 : i / (choices.length - 1));
  return {
    key,
    label,
    place: (value) => {
      const i = texts.indexOf(JSON.stringify(value));
      return i < 0 ? null : at(i);
    },
    ticks: choices.map((c, i) => ({ at: at(i), text: typeof c === 'string' ? c : JSON.stringify(c) })),
  };
}

export function dimensionAxis(pointer: string, d: Dimension): Axis {
  const label = dimensionLabel(pointer);
  if (d.choices) return choiceAxis(pointer, label, d.choices);
  return rangeAxis(pointer, label, d.low ?? 0, d.high ?? 1, !!d.log);
}

/** The objective's axis over the trials' values (the best at the top). */
export function objectiveAxis(sweep: Pick<Sweep, 'objective' | 'trials'>): Axis {
  const values = sweep.trials
    .map((t) => t.value)
    .filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const low = values.length ? Math.min(...values) : 0;
  const high = values.length ? Math.max(...values) : 1;
  const axis = rangeAxis('objective', sweep.objective.metric ?? 'objective', low, high, false);
  if (sweep.objective.direction !== 'minimize') return axis;
  // minimising: the lowest value on top
  return {
    ...axis,
    place: (v) => {
      const p = axis.place(v);
      return p === null ? null : 1 - p;
    },
    ticks: axis.ticks.map((t) => ({ ...t, at: 1 - t.at })),
  };
}

export function axesOf(sweep: Pick<Sweep, 'space' | 'objective' | 'trials'>): Axis[] {
  return [...Object.entries(sweep.space).map(([p, d]) => dimensionAxis(p, d)), objectiveAxis(sweep)];
}

/** A trial's places on the axes (the last is its objective value, null until it has one). */
export function trialLine(axes: Axis[], trial: Pick<Trial, 'params' | 'value'>): (number | null)[] {
  return axes.map((a, i) => a.place(i === axes.length - 1 ? trial.value : trial.params[a.key]));
}
