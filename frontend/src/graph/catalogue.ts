/** Helpers over the server's layer catalogue (GET /api/layers): grouping, search, defaults. */
import type { LayerSpec, Params } from './types';

/** Categories in the order a Keras user looks for them; unknown ones follow alphabetically. */
const CATEGORY_ORDER = [
  'io',
  'core',
  'convolutional',
  'pooling',
  'recurrent',
  'attention',
  'normalization',
  'regularization',
  'merging',
  'reshaping',
  'activations',
  'preprocessing',
  'wrappers',
  'models',
];

export const CATEGORY_TITLES: Record<string, string> = {
  io: 'Inputs & outputs',
  core: 'Core',
  convolutional: 'Convolution',
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

/** Params a new node starts with: the spec's defaults for required params that have one. */
export function initialParams(spec: LayerSpec | undefined): Params {
  const params: Params = {};
  if (!spec) return params;
  for (const p of spec.params) {
    if (p.required && p.default !== undefined && p.default !== null) params[p.name] = p.default;
  }
  return params;
}
