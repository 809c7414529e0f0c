/** Where a new node goes, and a node dropped on an edge: pure helpers over a graph. */
import { connect, edgeKey, positionsOf } from './transforms';
import type { Graph, GraphEdge, NodeId, XY } from './types';

type Size = { width: number; height: number };

/** Space kept between a new node and the nodes beside it. */
const GAP = 40;

/**
 * `at`, or the first place to its right where a node of `size` covers no other node:
 * a layer appended after one that already has a successor goes beside that successor,
 * not on top of it.
 */
export function freeSpot(graph: Graph, at: XY, size: Size, sizeOf: (id: NodeId) => Size): XY {
  const positions = positionsOf(graph);
  const boxes = graph.nodes.flatMap((n) => {
    const p = positions[n.id];
    return p ? [{ ...p, ...sizeOf(n.id) }] : [];
  });
  const spot = { ...at };
  for (;;) {
    const hit = boxes.find(
      (b) =>
        spot.x < b.x + b.width + GAP &&
        b.x < spot.x + size.width + GAP &&
        spot.y < b.y + b.height + GAP &&
        b.y < spot.y + size.height + GAP,
    );
    if (!hit) return spot;
    spot.x = hit.x + hit.width + GAP;
  }
}

/**
 * Put node `id` (one input, one output) into `edge`: the edge's source feeds the node's
 * first input, its first output feeds the edge's target port. The graph is unchanged
 * when the edge is gone or the splice would make a cycle.
 */
export function spliceIntoEdge(graph: Graph, edge: GraphEdge, id: NodeId): Graph {
  const key = edgeKey(edge);
  if (!graph.edges.some((e) => edgeKey(e) === key) || edge.source === id || edge.target === id) return graph;
  const without = { ...graph, edges: graph.edges.filter((e) => edgeKey(e) !== key) };
  const into = connect(without, { source: edge.source, source_port: edge.source_port, target: id, target_port: 0 });
  const out = connect(into, { source: id, source_port: 0, target: edge.target, target_port: edge.target_port });
  return into === without || out === into ? graph : out;
}
