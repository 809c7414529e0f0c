/**
 * Automatic layered layout with ELK (top to bottom), with the nodes' ports: inputs on
 * the top edge and outputs on the bottom edge in port order, where the canvas draws
 * them. Branches sit side by side, and an edge that skips layers (a residual
 * connection) gets its own lane beside the nodes it passes: its route is kept in the
 * layout so the canvas draws it there instead of straight through those nodes.
 * Loaded on demand: elkjs is large, so it lives in its own chunk.
 */
import ELK, { type ElkNode } from 'elkjs/lib/elk.bundled.js';
import { edgeKey } from './transforms';
import { NODE_HEIGHT, NODE_WIDTH, PORT_SIZE } from '../canvas/nodeSize';
import type { EdgeRoute, Graph, NodeId, ValidateAnswer, XY } from './types';

const elk = new ELK();
/** Extra height of a node with an "Open model" button (a sub-graph use). */
const OPEN_BUTTON_H = 26;

export interface LayoutResult {
  positions: Record<NodeId, XY>;
  routes: Record<string, EdgeRoute>;
}

function portCounts(graph: Graph, answer: ValidateAnswer | null) {
  const inputs = new Map<NodeId, number>();
  const outputs = new Map<NodeId, number>();
  for (const e of graph.edges) {
    inputs.set(e.target, Math.max(inputs.get(e.target) ?? 1, e.target_port + 1));
    outputs.set(e.source, Math.max(outputs.get(e.source) ?? 1, e.source_port + 1));
  }
  for (const [id, report] of Object.entries(answer?.nodes ?? {}))
    outputs.set(id, Math.max(outputs.get(id) ?? 1, report.output_shapes?.length ?? 0));
  return { inputs, outputs };
}

export async function layoutPositions(graph: Graph, answer: ValidateAnswer | null = null): Promise<LayoutResult> {
  const { inputs, outputs } = portCounts(graph, answer);
  const children: ElkNode[] = graph.nodes.map((n) => {
    const h = NODE_HEIGHT + (n.type === 'Model' ? OPEN_BUTTON_H : 0);
    const nIn = inputs.get(n.id) ?? 1;
    const nOut = outputs.get(n.id) ?? 1;
    const along = (i: number, k: number) => (NODE_WIDTH * (i + 1)) / (k + 1) - PORT_SIZE / 2;
    return {
      id: n.id,
      width: NODE_WIDTH,
      height: h,
      layoutOptions: { 'elk.portConstraints': 'FIXED_POS' },
      ports: [
        ...Array.from({ length: nIn }, (_, i) => ({
          id: `${n.id}\u0000in-${i}`,
          x: along(i, nIn),
          y: -PORT_SIZE / 2,
          width: PORT_SIZE,
          height: PORT_SIZE,
          layoutOptions: { 'elk.port.side': 'NORTH' },
        })),
        ...Array.from({ length: nOut }, (_, i) => ({
          id: `${n.id}\u0000out-${i}`,
          x: along(i, nOut),
          y: h - PORT_SIZE / 2,
          width: PORT_SIZE,
          height: PORT_SIZE,
          layoutOptions: { 'elk.port.side': 'SOUTH' },
        })),
      ],
    };
  });
  const keys = graph.edges.map(edgeKey);
  const graphIn: ElkNode = {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'DOWN',
      'elk.edgeRouting': 'ORTHOGONAL',
      // room between layers for the shape label of the edges crossing it
      'elk.layered.spacing.nodeNodeBetweenLayers': '56',
      'elk.layered.spacing.edgeNodeBetweenLayers': '28',
      'elk.spacing.nodeNode': '48',
      'elk.spacing.edgeNode': '36',
      'elk.spacing.edgeEdge': '24',
      'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
      'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
    },
    children,
    edges: graph.edges.map((e, i) => ({
      id: keys[i],
      sources: [`${e.source}\u0000out-${e.source_port}`],
      targets: [`${e.target}\u0000in-${e.target_port}`],
    })),
  };
  const result = await elk.layout(graphIn);
  const sections = new Map((result.edges ?? []).map((x) => [x.id, x.sections?.[0]]));
  const positions: Record<NodeId, XY> = {};
  for (const c of result.children ?? []) positions[c.id] = { x: Math.round(c.x ?? 0), y: Math.round(c.y ?? 0) };
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const routes: Record<string, EdgeRoute> = {};
  graph.edges.forEach((e, i) => {
    const section = sections.get(keys[i]);
    const bends = section?.bendPoints ?? [];
    const from = positions[e.source];
    const to = positions[e.target];
    // only the route of an edge that skips past other nodes is kept; a short edge is
    // drawn as a curve from port to port
    const skips = !!from && !!to && to.y - from.y > 2 * NODE_HEIGHT + 56;
    if (!bends.length || !skips || !byId.has(e.source) || !byId.has(e.target)) return;
    routes[keys[i]] = {
      points: bends.map((p) => ({ x: Math.round(p.x), y: Math.round(p.y) })),
      from,
      to,
    };
  });
  return { positions, routes };
}
