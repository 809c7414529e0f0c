/**
 * Freezing layers for fine-tuning (a node's `trainable: false`, Keras's
 * `layer.trainable = False`), and the parameter counts as Keras's summary gives them:
 * total, trainable, non-trainable (a frozen layer's weights, a BatchNormalization's
 * moving statistics).
 */
import type { Graph, NodeId, ValidateAnswer } from './types';

/** Inputs and Outputs hold no weights: they are never frozen. */
function freezable(type: string): boolean {
  return type !== 'Input' && type !== 'Output';
}

/** `ids` frozen (`trainable` false) or unfrozen; the same graph when nothing changes. */
export function setTrainable(graph: Graph, ids: Iterable<NodeId>, trainable: boolean): Graph {
  const wanted = new Set(ids);
  let changed = false;
  const nodes = graph.nodes.map((n) => {
    if (!wanted.has(n.id) || !freezable(n.type) || (n.trainable !== false) === trainable) return n;
    changed = true;
    return { ...n, trainable };
  });
  return changed ? { ...graph, nodes } : graph;
}

/** `id` and every node it is computed from (its ancestors along the edges). */
export function upstreamOf(graph: Graph, id: NodeId): Set<NodeId> {
  const into = new Map<NodeId, NodeId[]>();
  for (const e of graph.edges) into.set(e.target, [...(into.get(e.target) ?? []), e.source]);
  const seen = new Set<NodeId>([id]);
  const todo = [id];
  while (todo.length)
    for (const src of into.get(todo.pop()!) ?? [])
      if (!seen.has(src)) {
        seen.add(src);
        todo.push(src);
      }
  return seen;
}

/** "Freeze everything up to this node": it and all it is computed from. */
export function freezeUpTo(graph: Graph, id: NodeId): Graph {
  return setTrainable(graph, upstreamOf(graph, id), false);
}

export interface ParamCounts {
  total: number;
  trainable: number;
  nonTrainable: number;
}

/**
 * The counts Keras's summary prints, from the check's per-node reports of `graph`'s own
 * nodes (a shared layer counted once, where its weights live); null until the check
 * gives a total.
 */
export function paramCounts(graph: Graph, answer: ValidateAnswer | null): ParamCounts | null {
  if (!answer || answer.total_params == null) return null;
  let trainable = 0;
  let nonTrainable = 0;
  for (const n of graph.nodes) {
    const r = answer.nodes[n.id];
    if (!r) continue;
    trainable += r.trainable_params;
    nonTrainable += r.non_trainable_params;
  }
  return { total: answer.total_params, trainable, nonTrainable };
}
