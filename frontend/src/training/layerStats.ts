/**
 * The graph as the training dashboard: a run's `layer_stats` events (one per epoch end,
 * per node: weight and gradient norms, update ratio, activation mean/std, the fraction
 * of units that never fire) turned into a colour per node for one chosen statistic and
 * epoch, and flags where training is going wrong (vanishing or exploding gradients, dead
 * units), each with a short explanation.
 */
import type { components } from '../api/schema';
import { isTerminal, type LayerStatsEvent } from './types';

export type NodeStats = components['schemas']['NodeStats'];
export type StatKey = keyof NodeStats;

export interface StatInfo {
  key: StatKey;
  label: string;
  /** Norms span decades: coloured on a log scale. */
  log: boolean;
}

/** The statistics one may colour by; the compiler checks each key is the event's. */
export const STATS: StatInfo[] = [
  { key: 'grad_norm', label: 'gradient norm', log: true },
  { key: 'weight_norm', label: 'weight norm', log: true },
  { key: 'update_ratio', label: 'update / weight ratio', log: true },
  { key: 'mean', label: 'activation mean', log: false },
  { key: 'std', label: 'activation std', log: false },
  { key: 'dead_fraction', label: 'units that never fire', log: false },
];

/** Below this gradient norm a layer has all but stopped learning; above the other, it diverges. */
export const VANISHING_GRAD = 1e-7;
export const EXPLODING_GRAD = 1e3;
/** Most of a ReLU layer's units never fire on the probe batch. */
export const DEAD_FRACTION = 0.5;

export interface NodeColour {
  /** 0..1 along the legend (low to high). */
  heat: number;
  /** The value as shown on the node. */
  text: string;
  flags: string[];
}

export interface GraphColouring {
  stat: StatInfo;
  epoch: number;
  /** The legend's ends, as values. */
  low: number;
  high: number;
  nodes: Map<string, NodeColour>;
}

export function formatStat(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-3 ? v.toExponential(1) : String(Number(v.toPrecision(3)));
}

/** Why a node's statistics look wrong, in words (empty: nothing to flag). */
export function flagsOf(s: NodeStats): string[] {
  const out: string[] = [];
  if (s.grad_norm != null && s.grad_norm < VANISHING_GRAD)
    out.push(`vanishing gradient (norm ${formatStat(s.grad_norm)}): this layer has almost stopped learning`);
  if (s.grad_norm != null && s.grad_norm > EXPLODING_GRAD)
    out.push(`exploding gradient (norm ${formatStat(s.grad_norm)}): lower the learning rate or clip gradients`);
  if (s.dead_fraction != null && s.dead_fraction > DEAD_FRACTION)
    out.push(
      `${Math.round(s.dead_fraction * 100)} % of units never fire: dead ReLUs (try LeakyReLU, a lower learning rate or another initializer)`,
    );
  return out;
}

/** The epochs a run has statistics for, in order. */
export function statEpochs(events: LayerStatsEvent[]): number[] {
  return [...new Set(events.map((e) => e.epoch))].sort((a, b) => a - b);
}

/** The colour of every node with a value of `stat` at `epoch` (the latest epoch when null). */
export function colourGraph(events: LayerStatsEvent[], stat: StatInfo, epoch: number | null): GraphColouring | null {
  if (!events.length) return null;
  const wanted = epoch ?? Math.max(...events.map((e) => e.epoch));
  const event = [...events].reverse().find((e) => e.epoch === wanted);
  if (!event) return null;
  const scale = (v: number) => (stat.log ? Math.log10(Math.max(Math.abs(v), 1e-30)) : v);
  const stats = event.nodes ?? {};
  const values = Object.entries(stats).flatMap(([id, s]) => {
    const v = s[stat.key];
    return v == null ? [] : [[id, v] as const];
  });
  if (!values.length) return { stat, epoch: wanted, low: 0, high: 0, nodes: new Map() };
  const scaled = values.map(([, v]) => scale(v));
  const lo = Math.min(...scaled);
  const hi = Math.max(...scaled);
  const nodes = new Map<string, NodeColour>();
  for (const [id, v] of values) {
    nodes.set(id, {
      heat: hi > lo ? (scale(v) - lo) / (hi - lo) : 0.5,
      text: `${stat.label} ${formatStat(v)}`,
      flags: flagsOf(stats[id]),
    });
  }
  const raw = values.map(([, v]) => v);
  return { stat, epoch: wanted, low: Math.min(...raw), high: Math.max(...raw), nodes };
}

/**
 * What the dashboard says while a run has no layer statistics to colour by: they were
 * off, or the run ended before its first epoch end, or they come at the first epoch end.
 */
export function noStatsNote(statsOn: boolean, status: string | null | undefined): string {
  if (!statsOn) return 'No layer statistics in this run: turn them on in the settings to colour the graph by them.';
  if (isTerminal(status))
    return `The run ended (${status}) before its first layer statistics, taken at the end of its first epoch.`;
  return 'Layer statistics arrive at the end of epoch 1.';
}
