/** What a row of the problems list offers beside the server's fixes. */
import type { Fix, Problem } from '../api/wire';
import type { Graph, NodeId } from './graph/types';

/** Each fix once: two with one label look the same, so the second is left out. */
export function distinctFixes(fixes: Fix[] | null | undefined): Fix[] {
  const seen = new Set<string>();
  return (fixes ?? []).filter((f) => !seen.has(f.label) && !!seen.add(f.label));
}

/** At most this many "Add an Output after …" buttons in one row. */
const MAX_OUTPUT_OFFERS = 3;

/**
 * The layers a missing Output can follow: for "no Output", the layers nothing reads
 * from; for a layer that leads to no Output, that layer if nothing reads from it.
 */
export function outputCandidates(graph: Graph, problem: Pick<Problem, 'code' | 'node'>): NodeId[] {
  const read = new Set(graph.edges.map((e) => e.source));
  const open = (id: NodeId) => {
    const n = graph.nodes.find((m) => m.id === id);
    return !!n && n.type !== 'Input' && n.type !== 'Output' && !read.has(id);
  };
  if (problem.code === 'no_output')
    return graph.nodes
      .map((n) => n.id)
      .filter(open)
      .slice(0, MAX_OUTPUT_OFFERS);
  if (problem.code === 'unused_node' && problem.node && open(problem.node)) return [problem.node];
  return [];
}
