/** Helpers over the server's layer catalogue (GET /api/layers): grouping, search, defaults. */
import type { LayerSpec, Params } from '../graph/types';

/** Categories in the order a Keras user looks for them; unknown ones follow alphabetically. */
const CATEGORY_ORDER = [
  'io',
  'core',
  'convolution',
  'convolutional',
  'pooling',
  'recurrent',
  'attention',
  'normalization',
  'regularization',
  'merging',
  'reshaping',
  'activation',
  'activations',
  'preprocessing',
  'augmentation',
  'wrappers',
  'models',
];

export const CATEGORY_TITLES: Record<string, string> = {
  io: 'Inputs & outputs',
  core: 'Core',
  convolution: 'Convolution',
  convolutional: 'Convolution',
  activation: 'Activations',
  augmentation: 'Augmentation',
  pooling: 'Pooling',
  recurrent: 'Recurrent',
  attention: 'Attention',
  normalization: 'Normalization',
  regularization: 'Regularization',
  merging: 'Merging',
  reshaping: 'Reshaping',
  activations: 'Activations',
  preprocessing: 'Preprocessing',
  wrappers: 'Wrappers',
  models: 'Models',
};

export function categoryTitle(c: string): string {
  return CATEGORY_TITLES[c] ?? c.charAt(0).toUpperCase() + c.slice(1);
}

export function groupByCategory(layers: LayerSpec[]): [string, LayerSpec[]][] {
  const groups = new Map<string, LayerSpec[]>();
  for (const l of layers) {
    const g = groups.get(l.category);
    if (g) g.push(l);
    else groups.set(l.category, [l]);
  }
  const rank = (c: string) => {
    const i = CATEGORY_ORDER.indexOf(c);
    return i < 0 ? CATEGORY_ORDER.length : i;
  };
  return [...groups.entries()].sort((a, b) => rank(a[0]) - rank(b[0]) || a[0].localeCompare(b[0]));
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
    if (p.default !== undefined && p.default !== null) params[p.name] = p.default;
    else if (p.kind === 'int') params[p.name] = clamp(32, p.min, p.max);
    else if (p.kind === 'int_tuple') params[p.name] = 3;
    else if (p.kind === 'float') params[p.name] = p.min != null && p.max != null ? (p.min + p.max) / 2 : clamp(0.5, p.min, p.max);
  }
  return params;
}

function clamp(v: number, min?: number | null, max?: number | null): number {
  if (min != null && v < min) return min;
  if (max != null && v > max) return max;
  return v;
}
