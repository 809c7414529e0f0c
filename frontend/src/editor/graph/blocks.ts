/**
 * Repeated blocks of an imported model, found from the names Keras gives their layers
 * (`block_3_expand`, `conv4_block2_1_conv`, `stage_0_block_1_conv`, `block1_conv1`),
 * and the graph as the canvas shows it with some blocks collapsed: each collapsed block
 * is one group node, and the edges that cross its border end on it. Only a view:
 * collapsing never changes the graph, and the layout keeps which blocks are collapsed.
 */
import type { Graph, GraphEdge, GraphNode, NodeId, ValidateAnswer } from './types';

/** Above this many nodes an imported graph opens with its blocks collapsed. */
export const COLLAPSE_ABOVE = 150;

/** The block a layer name belongs to: everything up to and including "block<N>". */
const BLOCK_NAME = /^(.*?block_?\d+)(?:_|$)/i;

export const GROUP_PREFIX = 'block:';

export interface Block {
  name: string;
  nodes: NodeId[];
}

export function blockOf(name: string): string | null {
  return BLOCK_NAME.exec(name)?.[1] ?? null;
}

/** Blocks of two or more nodes, in graph order. */
export function blocksOf(graph: Graph): Block[] {
  const byName = new Map<string, NodeId[]>();
  for (const n of graph.nodes) {
    if (n.type === 'Input' || n.type === 'Output') continue;
    const b = blockOf(n.name || n.id);
    if (!b) continue;
    const list = byName.get(b);
    if (list) list.push(n.id);
    else byName.set(b, [n.id]);
  }
  return [...byName.entries()].filter(([, ids]) => ids.length > 1).map(([name, nodes]) => ({ name, nodes }));
}

/** What a collapsed block shows: its size, parameters and the shape(s) leaving it. */
export interface GroupSummary {
  name: string;
  nodes: number;
  params: number | null;
  shapes: unknown[];
}

export interface GraphView {
  /** The graph with every collapsed block replaced by one node of type "Block". */
  graph: Graph;
  groups: Map<NodeId, GroupSummary>;
}

export function collapsedView(graph: Graph, collapsed: string[], answer: ValidateAnswer | null = null): GraphView {
  const groups = new Map<NodeId, GroupSummary>();
  if (!collapsed.length) return { graph, groups };
  const wanted = new Set(collapsed);
  const groupOf = new Map<NodeId, NodeId>();
  for (const b of blocksOf(graph)) {
    if (!wanted.has(b.name)) continue;
    const id = GROUP_PREFIX + b.name;
    for (const n of b.nodes) groupOf.set(n, id);
    let params: number | null = 0;
    for (const n of b.nodes) {
      const p = answer?.nodes[n]?.params;
      params = p == null || params == null ? null : params + p;
    }
    groups.set(id, { name: b.name, nodes: b.nodes.length, params, shapes: [] });
  }
  if (!groups.size) return { graph, groups };
  const nodes: GraphNode[] = [];
  const placed = new Set<NodeId>();
  for (const n of graph.nodes) {
    const g = groupOf.get(n.id);
    if (!g) nodes.push(n);
    else if (!placed.has(g)) {
      placed.add(g);
      nodes.push({ id: g, type: 'Block', name: groups.get(g)!.name, params: { layers: groups.get(g)!.nodes } });
    }
  }
  const edges: GraphEdge[] = [];
  const seen = new Set<string>();
  for (const e of graph.edges) {
    const s = groupOf.get(e.source);
    const t = groupOf.get(e.target);
    if (s && s === t) continue; // inside one block
    if (s) {
      const shape = answer?.nodes[e.source]?.output_shapes?.[e.source_port];
      const summary = groups.get(s)!;
      if (shape && !summary.shapes.some((x) => JSON.stringify(x) === JSON.stringify(shape))) summary.shapes.push(shape);
    }
    const edge = { ...e, source: s ?? e.source, target: t ?? e.target };
    if (s) edge.source_port = 0;
    if (t) edge.target_port = 0;
    const key = `${edge.source}:${edge.source_port}->${edge.target}:${edge.target_port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    edges.push(s || t ? edge : e);
  }
  return { graph: { ...graph, nodes, edges }, groups };
}

/** The frame drawn around an expanded block, or a Model node opened in place. */
export interface BlockFrame {
  kind: 'block' | 'model';
  /** The block's name, or the Model node's id. */
  target: string;
  name: string;
  nodes: number;
  params: number | null;
  x: number;
  y: number;
  width: number;
  height: number;
}

type SizeOf = (id: NodeId) => { width: number; height: number };

/** Room around a frame's nodes, and above them for its title row. */
const FRAME_PAD = 14;
const FRAME_HEAD = 26;

/** The frame around `ids` (null when one of them has no position yet). */
function frameAround(
  graph: Graph,
  ids: NodeId[],
  sizeOf: SizeOf,
  answer: ValidateAnswer | null,
): Omit<BlockFrame, 'kind' | 'target' | 'name'> | null {
  const positions = graph.layout.positions ?? {};
  if (!ids.length || ids.some((n) => !positions[n])) return null;
  let x0 = Infinity,
    y0 = Infinity,
    x1 = -Infinity,
    y1 = -Infinity;
  let params: number | null = 0;
  for (const n of ids) {
    const p = positions[n];
    const size = sizeOf(n);
    x0 = Math.min(x0, p.x);
    y0 = Math.min(y0, p.y);
    x1 = Math.max(x1, p.x + size.width);
    y1 = Math.max(y1, p.y + size.height);
    const count = answer?.nodes[n]?.params;
    params = count == null || params == null ? null : params + count;
  }
  return {
    nodes: ids.length,
    params: answer ? params : null,
    x: x0 - FRAME_PAD,
    y: y0 - FRAME_PAD - FRAME_HEAD,
    width: x1 - x0 + 2 * FRAME_PAD,
    height: y1 - y0 + 2 * FRAME_PAD + FRAME_HEAD,
  };
}

/** Frames around the blocks that are shown expanded, sized to their nodes (`sizeOf`:
 * measured, or an estimate). */
export function blockFrames(
  graph: Graph,
  collapsed: string[],
  sizeOf: SizeOf,
  answer: ValidateAnswer | null = null,
): BlockFrame[] {
  const shut = new Set(collapsed);
  const frames: BlockFrame[] = [];
  for (const b of blocksOf(graph)) {
    const box = shut.has(b.name) ? null : frameAround(graph, b.nodes, sizeOf, answer);
    if (box) frames.push({ kind: 'block', target: b.name, name: b.name, ...box });
  }
  return frames;
}

/** Frames around the layers of the Model nodes opened in place (see inPlace.ts). */
export function modelFrames(
  graph: Graph,
  models: { id: NodeId; label: string; nodes: NodeId[] }[],
  sizeOf: SizeOf,
  answer: ValidateAnswer | null = null,
): BlockFrame[] {
  const frames: BlockFrame[] = [];
  for (const m of models) {
    const box = frameAround(graph, m.nodes, sizeOf, answer);
    if (box) frames.push({ kind: 'model', target: m.id, name: m.label, ...box });
  }
  return frames;
}
