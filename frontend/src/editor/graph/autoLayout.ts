/**
 * Automatic layered layout with ELK (top to bottom, port order kept). Loaded on demand:
 * elkjs is large, so it lives in its own chunk.
 */
import ELK from 'elkjs/lib/elk.bundled.js';
import type { Graph, NodeId, XY } from './types';

const elk = new ELK();
const NODE_W = 190;
const NODE_H = 96;

export async function layoutPositions(graph: Graph): Promise<Record<NodeId, XY>> {
  const result = await elk.layout({
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'DOWN',
      'elk.layered.spacing.nodeNodeBetweenLayers': '60',
      'elk.spacing.nodeNode': '40',
      'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
      'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
    },
    children: graph.nodes.map((n) => ({ id: n.id, width: NODE_W, height: NODE_H })),
    edges: graph.edges.map((e, i) => ({ id: `e${i}`, sources: [e.source], targets: [e.target] })),
  });
  const out: Record<NodeId, XY> = {};
  for (const c of result.children ?? []) out[c.id] = { x: Math.round(c.x ?? 0), y: Math.round(c.y ?? 0) };
  return out;
}
