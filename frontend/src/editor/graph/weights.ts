/**
 * A graph's weight set (issue: import with weights): the stored weights it was imported
 * with (`.keras` with keep_weights, a pretrained application), remembered in the
 * graph's layout so it is saved and restored with it. It never changes what is built; a
 * run starts from it through `settings.initial_weights` (see initialWeightsOf). A node
 * carries weights from it when its name is one of the set's layers, as the server loads
 * them (by name first).
 */
import type { components } from '../../api/schema';
import type { Graph, NodeId } from './types';

export type WeightSetInfo = components['schemas']['WeightSetInfo'];
export type InitialWeights = components['schemas']['InitialWeights'];

export interface GraphWeights {
  /** The weight set's id (the SHA-256 of its file). */
  id: string;
  name: string;
  bytes: number;
  /** Names of the layers it holds weights for. */
  layers: string[];
}

/** The graph's weight set, if it has one (what a layout holds is checked: it is stored text). */
export function weightsOf(graph: Graph): GraphWeights | null {
  const w = graph.layout.weights as Partial<GraphWeights> | undefined;
  if (!w || typeof w.id !== 'string' || !Array.isArray(w.layers)) return null;
  return {
    id: w.id,
    name: String(w.name ?? w.id.slice(0, 12)),
    bytes: Number(w.bytes ?? 0),
    layers: w.layers.map(String),
  };
}

/** The graph with this weight set remembered (null: forgotten). */
export function withWeights(graph: Graph, info: WeightSetInfo | GraphWeights | null): Graph {
  const { weights: _, ...layout } = graph.layout;
  if (!info) return { ...graph, layout };
  const layers = info.layers.map((l) => (typeof l === 'string' ? l : l.name));
  return { ...graph, layout: { ...layout, weights: { id: info.id, name: info.name, bytes: info.bytes, layers } } };
}

/** The nodes that carry weights from the graph's set: layers (not Inputs or Outputs) named like one of its layers. */
export function nodesWithWeights(graph: Graph): Set<NodeId> {
  const w = weightsOf(graph);
  if (!w) return new Set();
  const names = new Set(w.layers);
  return new Set(
    graph.nodes.filter((n) => n.type !== 'Input' && n.type !== 'Output' && names.has(n.name || n.id)).map((n) => n.id),
  );
}

/** What a run of this graph starts from: `settings.initial_weights`, or null for fresh weights. */
export function initialWeightsOf(graph: Graph): InitialWeights | null {
  const w = weightsOf(graph);
  return w ? { weights: w.id } : null;
}
