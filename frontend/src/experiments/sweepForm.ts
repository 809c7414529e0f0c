/**
 * The sweep form's logic: a search dimension from what the person typed, and the JSON
 * Pointers the graph being drawn offers (its nodes' number parameters and the training
 * settings a search usually varies).
 */
import type { Graph } from '../editor/graph/types';
import type { Dimension } from './api';

export type DimensionKind = 'range' | 'log' | 'int' | 'choices';

/** The kinds of search dimension, with the label a form shows for each. */
export const DIMENSION_KINDS: [DimensionKind, string][] = [
  ['range', 'range'],
  ['log', 'log range'],
  ['int', 'integers'],
  ['choices', 'choices'],
];

function text(v: unknown): string {
  return v === null || v === undefined ? '' : String(v);
}

/** A dimension as a form's text fields (the inverse of dimensionOf). */
export function fieldsOf(d: Dimension) {
  return {
    low: text(d.low),
    high: text(d.high),
    step: text(d.step ?? 1),
    choices: (d.choices ?? []).map((c) => (typeof c === 'string' ? c : JSON.stringify(c))).join(', '),
  };
}

export function kindOf(d: Dimension): DimensionKind {
  if (d.choices) return 'choices';
  if (d.step) return 'int';
  return d.log ? 'log' : 'range';
}

/** `4, 8, relu, true` -> [4, 8, "relu", true]: numbers and booleans as such, the rest as text. */
export function parseChoices(text: string): unknown[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      if (s === 'true' || s === 'false') return s === 'true';
      if (s === 'null') return null;
      const n = Number(s);
      return Number.isFinite(n) ? n : s.replace(/^["']|["']$/g, '');
    });
}

/** A dimension of `kind` from the fields, or what is wrong with them. */
export function dimensionOf(
  kind: DimensionKind,
  fields: { low: string; high: string; step?: string; choices?: string },
): Dimension | string {
  if (kind === 'choices') {
    const choices = parseChoices(fields.choices ?? '');
    return choices.length ? { choices } : 'give at least one choice (comma-separated)';
  }
  const low = Number(fields.low);
  const high = Number(fields.high);
  if (fields.low.trim() === '' || !Number.isFinite(low)) return 'low is not a number';
  if (fields.high.trim() === '' || !Number.isFinite(high)) return 'high is not a number';
  if (!(low < high)) return 'low must be below high';
  if (kind === 'log') return low > 0 ? { low, high, log: true } : 'a log range needs low > 0';
  if (kind === 'int') {
    const step = Number(fields.step || '1');
    if (!Number.isInteger(low) || !Number.isInteger(high)) return 'an integer range needs whole low and high';
    if (!Number.isInteger(step) || step < 1) return 'step must be a whole number >= 1';
    return { low, high, step };
  }
  return { low, high };
}

/** A first guess for a new dimension at `pointer`: what it holds now, doubled and halved. */
export function defaultDimension(pointer: string, current: unknown): Dimension {
  if (typeof current === 'number' && current > 0) {
    if (Number.isInteger(current) && !pointer.endsWith('learning_rate'))
      return { low: Math.max(1, Math.floor(current / 2)), high: current * 2, step: 1 };
    return { low: current / 10, high: current * 10, log: true };
  }
  if (typeof current === 'string' || typeof current === 'boolean') return { choices: [current] };
  return { low: 0, high: 1 };
}

const SETTINGS_POINTERS = ['/settings/optimizer/learning_rate', '/settings/batch_size', '/settings/epochs'];

function escape(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Pointers into the run request worth searching: every number or text parameter of a root node, and the usual settings. */
export function pointerSuggestions(graph: Graph): string[] {
  const out: string[] = [];
  for (const n of graph.nodes) {
    if (n.type === 'Input' || n.type === 'Output') continue;
    for (const [name, v] of Object.entries(n.params ?? {}))
      if (typeof v === 'number' || typeof v === 'string')
        out.push(`/graph/nodes/${escape(n.id)}/params/${escape(name)}`);
  }
  return [...out, ...SETTINGS_POINTERS];
}

/** The value at `pointer` in the run request (graph nodes addressed by id), if any. */
export function valueAt(request: { graph: Graph; settings: Record<string, unknown> }, pointer: string): unknown {
  const parts = pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let cur: unknown = request;
  for (const part of parts) {
    if (Array.isArray(cur)) {
      const byId = cur.find((x) => x && typeof x === 'object' && (x as { id?: unknown }).id === part);
      cur = byId ?? cur[Number(part)];
    } else if (cur && typeof cur === 'object') cur = (cur as Record<string, unknown>)[part];
    else return undefined;
  }
  return cur;
}
