/**
 * Pure edits of a graph: every function returns a new Graph and never mutates its input,
 * reusing untouched node/edge objects so the canvas can skip re-rendering them.
 */
import type { WireGraph } from '../../api/wire';
import type { Graph, GraphEdge, GraphNode, InnerLayer, NodeId, Params, Shape, XY } from './types';

export function edgeKey(e: GraphEdge): string {
  return `${e.source}:${e.source_port}->${e.target}:${e.target_port}`;
}

export function positionsOf(graph: Graph): Record<NodeId, XY> {
  return graph.layout.positions ?? {};
}

export function withPositions(graph: Graph, positions: Record<NodeId, XY>): Graph {
  return { ...graph, layout: { ...graph.layout, positions } };
}

/** A fresh id derived from `base` ("dense" -> "dense", "dense_1", ...). */
export function uniqueId(taken: Set<string>, base: string): string {
  const clean =
    base
      .toLowerCase()
      .replace(/[^a-z0-9_.:-]+/g, '_')
      .replace(/^_+|_+$/g, '') || 'node';
  if (!taken.has(clean)) return clean;
  for (let i = 1; ; i++) {
    const id = `${clean}_${i}`;
    if (!taken.has(id)) return id;
  }
}

export function nodeIds(graph: Graph): Set<string> {
  return new Set(graph.nodes.map((n) => n.id));
}

/** The node whose params a call site uses: itself, or the owner it is shared with. */
export function ownerOf(graph: Graph, id: NodeId): GraphNode | undefined {
  const node = graph.nodes.find((n) => n.id === id);
  if (!node) return undefined;
  if (node.shared_with) return graph.nodes.find((n) => n.id === node.shared_with) ?? node;
  return node;
}

/** Every call site of the layer `id` belongs to (owner first). */
export function callSites(graph: Graph, id: NodeId): GraphNode[] {
  const owner = ownerOf(graph, id);
  if (!owner) return [];
  return graph.nodes.filter((n) => n.id === owner.id || n.shared_with === owner.id);
}

export function addNode(
  graph: Graph,
  type: string,
  position: XY,
  init: { params?: Params; name?: string | null; inner?: InnerLayer | null; shared_with?: NodeId | null } = {},
): { graph: Graph; id: NodeId } {
  const id = uniqueId(nodeIds(graph), type);
  const node: GraphNode = { id, type, params: init.params ?? {} };
  if (init.name) node.name = init.name;
  if (init.inner) node.inner = init.inner;
  if (init.shared_with) node.shared_with = init.shared_with;
  const next = { ...graph, nodes: [...graph.nodes, node] };
  return { graph: withPositions(next, { ...positionsOf(graph), [id]: position }), id };
}

/** Remove nodes and their edges; a removed owner hands its layer to its next call site. */
export function removeNodes(graph: Graph, ids: Iterable<NodeId>): Graph {
  const gone = new Set(ids);
  if (gone.size === 0) return graph;
  const heirs = new Map<NodeId, GraphNode>(); // removed owner -> new owner
  for (const n of graph.nodes) {
    if (gone.has(n.id)) continue;
    if (n.shared_with && gone.has(n.shared_with) && !heirs.has(n.shared_with)) heirs.set(n.shared_with, n);
  }
  const nodes: GraphNode[] = [];
  for (const n of graph.nodes) {
    if (gone.has(n.id)) continue;
    if (n.shared_with && gone.has(n.shared_with)) {
      const heir = heirs.get(n.shared_with)!;
      if (heir.id === n.id) {
        const old = graph.nodes.find((o) => o.id === n.shared_with)!;
        const promoted: GraphNode = { ...n, params: old.params, shared_with: null };
        if (old.inner) promoted.inner = old.inner;
        nodes.push(promoted);
      } else nodes.push({ ...n, shared_with: heir.id });
    } else nodes.push(n);
  }
  const edges = graph.edges.filter((e) => !gone.has(e.source) && !gone.has(e.target));
  const positions = { ...positionsOf(graph) };
  for (const id of gone) delete positions[id];
  return withPositions({ ...graph, nodes, edges }, positions);
}

export function removeEdges(graph: Graph, keys: Iterable<string>): Graph {
  const gone = new Set(keys);
  if (gone.size === 0) return graph;
  return { ...graph, edges: graph.edges.filter((e) => !gone.has(edgeKey(e))) };
}

/** Does a path lead from `from` to `to` along edges? (used to refuse cycles) */
export function reaches(graph: Graph, from: NodeId, to: NodeId): boolean {
  const out = new Map<NodeId, NodeId[]>();
  for (const e of graph.edges) {
    const l = out.get(e.source);
    if (l) l.push(e.target);
    else out.set(e.source, [e.target]);
  }
  const seen = new Set<NodeId>();
  const stack = [from];
  while (stack.length) {
    const id = stack.pop()!;
    if (id === to) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...(out.get(id) ?? []));
  }
  return false;
}

/**
 * Why the editor refuses to draw `edge`, in a few words for the line being dragged, or
 * null when it may: a node's own output, a cycle, or an input port that already takes
 * a tensor (one tensor per port: delete that edge first).
 */
export function connectionProblem(graph: Graph, edge: Omit<GraphEdge, 'id'>, portName?: string): string | null {
  const label = (id: NodeId) => graph.nodes.find((n) => n.id === id)?.name || id;
  const known = nodeIds(graph);
  if (!known.has(edge.source) || !known.has(edge.target)) return 'a collapsed block: expand it to connect its layers';
  if (edge.source === edge.target) return 'a layer cannot take its own output';
  if (reaches(graph, edge.target, edge.source))
    return `cycle: ${label(edge.source)} already depends on ${label(edge.target)}`;
  const taken = graph.edges.find((e) => e.target === edge.target && e.target_port === edge.target_port);
  if (taken && !(taken.source === edge.source && taken.source_port === edge.source_port))
    return `${portName ?? `input ${edge.target_port}`} of ${label(edge.target)} already takes ${label(taken.source)}`;
  return null;
}

/**
 * Connect an output port to an input port. An input port takes one tensor, so an edge
 * already there is replaced. Returns the graph unchanged for a self-loop or a cycle.
 */
export function connect(graph: Graph, edge: Omit<GraphEdge, 'id'>): Graph {
  if (edge.source === edge.target || reaches(graph, edge.target, edge.source)) return graph;
  const edges = graph.edges.filter((e) => !(e.target === edge.target && e.target_port === edge.target_port));
  return { ...graph, edges: [...edges, { ...edge }] };
}

/** Replace fields of a node; param edits on a call site go to the layer's owner. */
export function updateNode(
  graph: Graph,
  id: NodeId,
  patch: { name?: string | null; params?: Params; inner?: InnerLayer | null; trainable?: boolean; type?: string },
): Graph {
  const target = graph.nodes.find((n) => n.id === id);
  if (!target) return graph;
  const ownerId = patch.params !== undefined || patch.inner !== undefined ? (ownerOf(graph, id)?.id ?? id) : id;
  return {
    ...graph,
    nodes: graph.nodes.map((n) => {
      if (n.id !== id && n.id !== ownerId) return n;
      const next: GraphNode = { ...n };
      if (n.id === id && patch.name !== undefined) next.name = patch.name || null;
      if (n.id === id && patch.trainable !== undefined) next.trainable = patch.trainable;
      if (n.id === ownerId && patch.params !== undefined) next.params = patch.params;
      if (n.id === ownerId && patch.inner !== undefined) next.inner = patch.inner;
      if (n.id === ownerId && patch.type !== undefined) next.type = patch.type;
      return next;
    }),
  };
}

export function setParam(graph: Graph, id: NodeId, name: string, value: unknown): Graph {
  const owner = ownerOf(graph, id);
  if (!owner) return graph;
  const params = { ...owner.params };
  if (value === undefined) delete params[name];
  else params[name] = value;
  return updateNode(graph, id, { params });
}

/** "Call this layer again": a new call site sharing the layer (and weights) of `id`. */
export function callAgain(graph: Graph, id: NodeId, position: XY): { graph: Graph; id: NodeId } {
  const owner = ownerOf(graph, id);
  if (!owner) return { graph, id };
  if (owner.type === 'Input' || owner.type === 'Output') return { graph, id };
  return addNode(graph, owner.type, position, { shared_with: owner.id });
}

export interface Clip {
  nodes: GraphNode[];
  edges: GraphEdge[];
  positions: Record<NodeId, XY>;
}

export function copyNodes(graph: Graph, ids: Iterable<NodeId>): Clip {
  const keep = new Set(ids);
  const positions = positionsOf(graph);
  return {
    nodes: graph.nodes.filter((n) => keep.has(n.id)),
    edges: graph.edges.filter((e) => keep.has(e.source) && keep.has(e.target)),
    positions: Object.fromEntries([...keep].filter((id) => positions[id]).map((id) => [id, positions[id]])),
  };
}

/**
 * Paste a clip with fresh ids, offset by `offset`. A pasted call site stays tied to its
 * owner when the owner was pasted too (to the copy) or still exists (to the original).
 */
export function pasteClip(graph: Graph, clip: Clip, offset: XY): { graph: Graph; ids: NodeId[] } {
  const taken = nodeIds(graph);
  const rename = new Map<NodeId, NodeId>();
  for (const n of clip.nodes) {
    const id = uniqueId(taken, n.id.replace(/_\d+$/, ''));
    taken.add(id);
    rename.set(n.id, id);
  }
  const nodes = clip.nodes.map((n) => {
    const copy: GraphNode = { ...n, id: rename.get(n.id)! };
    if (n.shared_with) {
      copy.shared_with = rename.get(n.shared_with) ?? (taken.has(n.shared_with) ? n.shared_with : null);
      if (!copy.shared_with) copy.params = { ...(ownerOf(graph, n.shared_with)?.params ?? n.params) };
    }
    if (n.type === 'Input' || n.type === 'Output') {
      copy.name = n.name ? uniqueName(graph, n.name) : n.name;
    }
    return copy;
  });
  const edges = clip.edges.map((e) => ({
    ...e,
    id: null,
    source: rename.get(e.source)!,
    target: rename.get(e.target)!,
  }));
  const positions = { ...positionsOf(graph) };
  clip.nodes.forEach((n, i) => {
    const p = clip.positions[n.id] ?? { x: i * 30, y: i * 30 };
    positions[rename.get(n.id)!] = { x: p.x + offset.x, y: p.y + offset.y };
  });
  const next = withPositions(
    { ...graph, nodes: [...graph.nodes, ...nodes], edges: [...graph.edges, ...edges] },
    positions,
  );
  return { graph: next, ids: nodes.map((n) => n.id) };
}

function uniqueName(graph: Graph, name: string): string {
  const names = new Set(graph.nodes.map((n) => n.name ?? n.id));
  return uniqueId(names, name);
}

/** Number of input / output ports of a use of sub-graph `name` (its Input / Output nodes). */
export function subgraphPorts(graph: Graph, name: string): { inputs: number; outputs: number } {
  const sub = graph.subgraphs[name];
  if (!sub) return { inputs: 1, outputs: 1 };
  return {
    inputs: sub.nodes.filter((n) => n.type === 'Input').length,
    outputs: sub.nodes.filter((n) => n.type === 'Output').length,
  };
}

/**
 * Group `ids` into a new sub-graph `name` and put one `Model` node in their place.
 * Tensors entering the group become its Input nodes (shape from `shapeOf`, batch axis
 * dropped), tensors leaving it become its Output nodes; outside edges are rewired to
 * the Model node's ports in that order.
 */
export function groupIntoSubgraph(
  graph: Graph,
  ids: Iterable<NodeId>,
  name: string,
  shapeOf: (source: NodeId, port: number) => Shape | undefined,
): { graph: Graph; id: NodeId } {
  const inside = new Set(ids);
  for (const n of graph.nodes) if (inside.has(n.id) && (n.type === 'Input' || n.type === 'Output')) inside.delete(n.id);
  if (inside.size === 0) return { graph, id: '' };
  const subName = uniqueId(new Set(Object.keys(graph.subgraphs)), name);
  const subTaken = new Set(inside);
  const inPorts = new Map<string, { id: NodeId; port: number }>(); // "src:port" -> sub Input
  const outPorts = new Map<string, { id: NodeId; port: number }>(); // "src:port" -> sub Output
  const subNodes: GraphNode[] = graph.nodes
    .filter((n) => inside.has(n.id))
    .map((n) => {
      // a call site whose owner stays outside takes a copy of the params (sharing cannot cross a model boundary)
      if (n.shared_with && !inside.has(n.shared_with)) {
        return { ...n, shared_with: null, params: { ...(ownerOf(graph, n.id)?.params ?? {}) } };
      }
      return n;
    });
  const subEdges: GraphEdge[] = [];
  const outerEdges: GraphEdge[] = [];
  const modelId = uniqueId(nodeIds(graph), subName);
  const inputNodes: GraphNode[] = [];
  const outputNodes: GraphNode[] = [];
  for (const e of graph.edges) {
    const sIn = inside.has(e.source);
    const tIn = inside.has(e.target);
    if (sIn && tIn) subEdges.push(e);
    else if (!sIn && tIn) {
      const key = `${e.source}:${e.source_port}`;
      let port = inPorts.get(key);
      if (!port) {
        const id = uniqueId(subTaken, `${e.source}_in`);
        subTaken.add(id);
        const shape = shapeOf(e.source, e.source_port);
        inputNodes.push({ id, type: 'Input', name: id, params: shape ? { shape: shape.slice(1) } : {} });
        port = { id, port: inPorts.size };
        inPorts.set(key, port);
        outerEdges.push({ source: e.source, source_port: e.source_port, target: modelId, target_port: port.port });
      }
      subEdges.push({ ...e, source: port.id, source_port: 0 });
    } else if (sIn && !tIn) {
      const key = `${e.source}:${e.source_port}`;
      let port = outPorts.get(key);
      if (!port) {
        const id = uniqueId(subTaken, `${e.source}_out`);
        subTaken.add(id);
        outputNodes.push({ id, type: 'Output', name: id, params: {} });
        subEdges.push({ source: e.source, source_port: e.source_port, target: id, target_port: 0 });
        port = { id, port: outPorts.size };
        outPorts.set(key, port);
      }
      outerEdges.push({ ...e, source: modelId, source_port: port.port });
    } else outerEdges.push(e);
  }
  if (outputNodes.length === 0) {
    // nothing leaves the group: its last nodes (no outgoing edge) become the outputs
    const hasOut = new Set(subEdges.map((e) => e.source));
    for (const n of subNodes) {
      if (hasOut.has(n.id)) continue;
      const id = uniqueId(subTaken, `${n.id}_out`);
      subTaken.add(id);
      outputNodes.push({ id, type: 'Output', name: id, params: {} });
      subEdges.push({ source: n.id, source_port: 0, target: id, target_port: 0 });
    }
  }
  const positions = positionsOf(graph);
  const xs = [...inside].map((id) => positions[id]).filter(Boolean);
  const centre = xs.length
    ? { x: xs.reduce((a, p) => a + p.x, 0) / xs.length, y: xs.reduce((a, p) => a + p.y, 0) / xs.length }
    : { x: 0, y: 0 };
  const subPositions: Record<NodeId, XY> = {};
  for (const id of inside) if (positions[id]) subPositions[id] = positions[id];
  const minY = Math.min(...xs.map((p) => p.y), 0);
  const maxY = Math.max(...xs.map((p) => p.y), 0);
  inputNodes.forEach((n, i) => (subPositions[n.id] = { x: centre.x - 150 + i * 260, y: minY - 160 }));
  outputNodes.forEach((n, i) => (subPositions[n.id] = { x: centre.x - 150 + i * 260, y: maxY + 160 }));
  const sub: Graph = {
    schema_version: graph.schema_version,
    name: subName,
    model_type: 'functional',
    nodes: [...inputNodes, ...subNodes, ...outputNodes],
    edges: subEdges,
    subgraphs: {},
    layout: { positions: subPositions },
  };
  const model: GraphNode = { id: modelId, type: 'Model', name: subName, params: { subgraph: subName } };
  // the Model node takes the place of the first grouped node, keeping the node order topological
  const nodes: GraphNode[] = [];
  let placed = false;
  for (const n of graph.nodes) {
    if (inside.has(n.id)) {
      if (!placed) nodes.push(model);
      placed = true;
    } else nodes.push(n.shared_with && inside.has(n.shared_with) ? { ...n, shared_with: modelId } : n);
  }
  const outerPositions = { ...positions };
  for (const id of inside) delete outerPositions[id];
  outerPositions[modelId] = centre;
  const next: Graph = {
    ...graph,
    nodes,
    edges: outerEdges,
    subgraphs: { ...graph.subgraphs, [subName]: sub },
  };
  return { graph: withPositions(next, outerPositions), id: modelId };
}

/** Place a sub-graph again (shared weights), optionally inside a wrapper such as TimeDistributed. */
export function placeSubgraph(
  graph: Graph,
  name: string,
  position: XY,
  wrapper?: string,
): { graph: Graph; id: NodeId } {
  if (!graph.subgraphs[name]) return { graph, id: '' };
  if (wrapper) {
    return addNode(graph, wrapper, position, { inner: { type: 'Model', params: { subgraph: name } } });
  }
  return addNode(graph, 'Model', position, { params: { subgraph: name }, name });
}

/** The sub-graph names a node uses (directly or through a wrapper's inner layer). */
export function subgraphUsedBy(node: GraphNode): string | null {
  let layer: { type: string; params?: Params; inner?: InnerLayer | null } | null | undefined = node;
  while (layer) {
    if (layer.type === 'Model' && typeof layer.params?.subgraph === 'string') return layer.params.subgraph as string;
    layer = layer.inner;
  }
  return null;
}

/**
 * A graph as the server may send it (defaults omitted: ports, params, subgraphs, layout)
 * with every default filled in, recursively, so the editor never meets a missing field.
 */
export function normalizeGraph(raw: WireGraph): Graph {
  const subgraphs: Record<string, Graph> = {};
  for (const [name, sub] of Object.entries(raw.subgraphs ?? {})) subgraphs[name] = normalizeGraph(sub);
  return {
    schema_version: raw.schema_version ?? 1,
    name: raw.name ?? null,
    model_type: raw.model_type ?? 'auto',
    nodes: (raw.nodes ?? []).map((n) => ({ ...n, params: n.params ?? {} }) as GraphNode),
    edges: (raw.edges ?? []).map(
      (e) => ({ ...e, source_port: e.source_port ?? 0, target_port: e.target_port ?? 0 }) as GraphEdge,
    ),
    subgraphs,
    layout: raw.layout ?? {},
  };
}
