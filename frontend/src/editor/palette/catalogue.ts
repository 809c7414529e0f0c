/** Helpers over the server's layer catalogue (GET /api/layers): grouping, search, defaults. */
import type { Category, ParamKind } from '../../api/wire';
import { noOtherKind, type LayerSpec, type Params, type ParamSpec } from '../graph/types';

/**
 * Layers by category, in the server's category order; a category the server lists
 * no entry for (none should) follows, titled by its id.
 */
export function groupByCategory(layers: LayerSpec[], categories: Category[]): [Category, LayerSpec[]][] {
  const known = new Map(categories.map((c) => [c.id, c]));
  const groups = new Map<LayerSpec['category'], LayerSpec[]>();
  for (const l of layers) {
    const g = groups.get(l.category);
    if (g) g.push(l);
    else groups.set(l.category, [l]);
  }
  const rank = (id: LayerSpec['category']) => {
    const i = categories.findIndex((c) => c.id === id);
    return i < 0 ? categories.length : i;
  };
  return [...groups.entries()]
    .sort((a, b) => rank(a[0]) - rank(b[0]))
    .map(([id, ls]) => [known.get(id) ?? { id, title: id, colour: '' }, ls]);
}

/**
 * Layers matching `query`, best first: exact type, type prefix, type substring, then
 * description matches. Case-insensitive; an empty query matches everything.
 */
export function searchLayers(layers: LayerSpec[], query: string): LayerSpec[] {
  const q = query.trim().toLowerCase();
  if (!q) return layers;
  const scored: [number, LayerSpec][] = [];
  for (const l of layers) {
    const t = l.type.toLowerCase();
    let score = -1;
    if (t === q) score = 0;
    else if (t.startsWith(q)) score = 1;
    else if (t.includes(q)) score = 2;
    else if (l.category.toLowerCase().includes(q)) score = 3;
    else if (l.description.toLowerCase().includes(q)) score = 4;
    if (score >= 0) scored.push([score, l]);
  }
  return scored.sort((a, b) => a[0] - b[0] || a[1].type.length - b[1].type.length).map(([, l]) => l);
}

/**
 * Params a new node starts with, so a dropped layer is usable at once: the default of
 * each required param, or a starter value for a required number (32 units / filters,
 * kernel 3, a rate halfway through its range). Shapes stay empty: only the user knows them.
 */
export function initialParams(spec: LayerSpec | undefined): Params {
  const params: Params = {};
  if (!spec) return params;
  for (const p of spec.params) {
    if (!p.required) continue;
    const value = p.default !== undefined && p.default !== null ? p.default : starterValue(p);
    if (value !== undefined) params[p.name] = value;
  }
  return params;
}

/** A usable first value for a required param without a default, by kind (none: only the user knows it). */
function starterValue(p: ParamSpec): unknown {
  const kind: ParamKind = p.kind;
  switch (kind) {
    case 'int':
      return clamp(32, p.min, p.max);
    case 'int_tuple':
      return 3;
    case 'float':
      return p.min != null && p.max != null ? (p.min + p.max) / 2 : clamp(0.5, p.min, p.max);
    case 'bool':
    case 'str':
    case 'dtype':
    case 'choice':
    case 'multi_choice':
    case 'activation':
    case 'initializer':
    case 'regularizer':
    case 'constraint':
    case 'shape':
    case 'list':
    case 'any':
      return undefined;
    default:
      noOtherKind(kind);
      return undefined;
  }
}

function clamp(v: number, min?: number | null, max?: number | null): number {
  if (min != null && v < min) return min;
  if (max != null && v > max) return max;
  return v;
}
