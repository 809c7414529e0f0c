/**
 * Graph -> React Flow mapping, pure and cached: a node's data object is reused while
 * nothing it shows has changed, so memoised node components skip re-rendering and a
 * 400-node graph costs one cheap pass per edit.
 */
import { Position, type Edge as FlowEdge, type Node as FlowNode } from '@xyflow/react';
import type { Graph, GraphEdge, GraphNode, LayerSpec, NodeReport, Problem, ValidateAnswer, XY } from '../graph/types';
import { edgeKey, positionsOf, subgraphPorts, subgraphUsedBy } from '../graph/transforms';
import { isInside, openable } from '../graph/inPlace';
import { NODE_WIDTH, PORT_SIZE as PORT } from './nodeSize';
import type { DiffMark } from '../diff/diffView';
import { nodesWithWeights } from '../graph/weights';

export interface LayerNodeData extends Record<string, unknown> {
  type: string;
  label: string;
  /** The category's colour, from the catalogue ('' when it has none). */
  colour: string;
  keyParams: string;
  shapes: string[];
  params: number | null;
  /** Multiply-accumulates of this call for one sample (null: no rule counts it). */
  macs: number | null;
  inputs: number;
  /** Names of the input ports when the layer names them (attention: query, value, key). */
  inputNames: string[] | null;
  outputs: number;
  errors: string[];
  warnings: string[];
  /** "owner" of a shared layer, a "call" site of one, or null. */
  shared: 'owner' | 'call' | null;
  sharedCount: number;
  subgraph: string | null;
  /** A plain Model node, which can open in place (see graph/inPlace.ts). */
  openable: boolean;
  /** A collapsed block of layers (see graph/blocks.ts): its name. */
  group: string | null;
  inner: string | null;
  trainable: boolean;
  /** An augmentation the catalogue marks training_only: the identity at inference. */
  trainingOnly: boolean;
  /** It carries weights from the graph's weight set (graph/weights.ts). */
  loaded: boolean;
  /** In a diff (read only, see diff/): added, removed, changed (with what) or the same. */
  diff: DiffMark | null;
}

export type LayerFlowNode = FlowNode<LayerNodeData, 'layer'>;

/** An edge's label is not here: it is the shape its source's card shows (see ShapeEdge). */
export interface ShapeEdgeData extends Record<string, unknown> {
  tie?: boolean;
  /** Bend points of a laid-out skip edge (see EdgeRoute), while its nodes stay put. */
  bends?: XY[];
}

function samePlace(a: XY | undefined, b: XY): boolean {
  return !!a && Math.abs(a.x - b.x) < 1 && Math.abs(a.y - b.y) < 1;
}

export function formatShape(shape: unknown): string {
  if (!Array.isArray(shape)) return '';
  return `(${shape.map((d: unknown) => (d === null ? 'None' : String(d))).join(', ')}${shape.length === 1 ? ',' : ''})`;
}

export function formatValue(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (Array.isArray(v)) return `(${v.map(formatValue).join(', ')})`;
  if (typeof v === 'object') return '{…}';
  return String(v);
}

/** One formatter for every count: toLocaleString would build one per call (slow, per card). */
const COUNT = new Intl.NumberFormat('en-US');

export function formatCount(n: number): string {
  return COUNT.format(n);
}

/** 3,877,600,000 -> "3.88 G"; for MACs and bytes on small cards. */
export function formatShort(n: number): string {
  for (const [size, unit] of [
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ] as const)
    if (n >= size) return `${(n / size).toPrecision(3)} ${unit}`;
  return String(n);
}

function keyParamsText(owner: GraphNode, spec: LayerSpec | undefined): string {
  const names = spec?.key_params ?? [];
  const parts: string[] = [];
  for (const name of names) {
    const value = owner.params[name] ?? spec?.params.find((p) => p.name === name)?.default;
    if (value === undefined || value === null || (Array.isArray(value) && !value.length)) continue;
    parts.push(`${name}=${formatValue(value)}`);
    if (parts.length === 3) break;
  }
  return parts.join('  ');
}

interface Cached {
  node: GraphNode;
  owner: GraphNode;
  /** Calls of the layer, when shared (see LayerNodeData.sharedCount). */
  count: number;
  extra: string;
  data: LayerNodeData;
  flow?: LayerFlowNode;
}

export interface Size {
  width: number;
  height: number;
}

export interface FlowMapper {
  /**
   * React Flow nodes for `graph`. `measured` holds the sizes React Flow reported; they go
   * back on the nodes, or React Flow would hide and re-measure every node on each edit.
   */
  nodes(
    graph: Graph,
    answer: ValidateAnswer | null,
    specs: Map<string, LayerSpec>,
    colours: Map<string, string>,
    selected: Set<string>,
    measured: Map<string, Size>,
  ): LayerFlowNode[];
  edges(graph: Graph, selected: Set<string>): FlowEdge<ShapeEdgeData>[];
}

/** A node's height before it is measured: head, name, params, shapes, error box. */
function estimatedHeight(d: LayerNodeData): number {
  return (
    58 +
    (d.keyParams ? 14 * Math.ceil(d.keyParams.length / 30) : 0) +
    (d.subgraph || d.group ? 26 : 0) +
    (d.openable ? 26 : 0) +
    (d.errors.length || d.warnings.length ? 40 : 0)
  );
}

/** Port boxes where LayerNode puts them (spread along the top / bottom edge). */
function estimatedHandles(d: LayerNodeData, w: number, h: number): NonNullable<LayerFlowNode['handles']> {
  const along = (i: number, n: number) => (w * (i + 1)) / (n + 1) - PORT / 2;
  const handles: NonNullable<LayerFlowNode['handles']> = [];
  for (let i = 0; i < d.inputs; i++)
    handles.push({
      id: `in-${i}`,
      type: 'target',
      position: Position.Top,
      x: along(i, d.inputs),
      y: -PORT / 2,
      width: PORT,
      height: PORT,
    });
  for (let i = 0; i < d.outputs; i++)
    handles.push({
      id: `out-${i}`,
      type: 'source',
      position: Position.Bottom,
      x: along(i, d.outputs),
      y: h - PORT / 2,
      width: PORT,
      height: PORT,
    });
  handles.push({ id: 'tie-out', type: 'source', position: Position.Right, x: w, y: h / 2, width: 1, height: 1 });
  handles.push({ id: 'tie-in', type: 'target', position: Position.Left, x: 0, y: h / 2, width: 1, height: 1 });
  return handles;
}

/** A node's ports, by name. */
interface Ports {
  input_ports: string[];
  output_ports: string[];
  variadic_inputs: boolean;
}

/**
 * A node's ports: as the validate answer reports them; before an answer, those of a new
 * node of its type from the catalogue (a sub-graph use: the definition's Input and
 * Output nodes).
 */
function portsOf(
  report: NodeReport | undefined,
  spec: LayerSpec | undefined,
  sub: { inputs: number; outputs: number } | null,
): Ports {
  const pick = ({ input_ports, output_ports, variadic_inputs }: Ports): Ports => ({
    input_ports,
    output_ports,
    variadic_inputs,
  });
  if (report) return pick(report);
  const named = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
  if (sub)
    return {
      input_ports: named(sub.inputs, 'input_'),
      output_ports: named(sub.outputs, 'output_'),
      variadic_inputs: false,
    };
  return spec ? pick(spec) : { input_ports: ['input'], output_ports: ['output'], variadic_inputs: false };
}

/** Where nodes without a stored position go: a loose grid below the rest. */
function fallbackPosition(index: number): XY {
  return { x: (index % 4) * 260, y: Math.floor(index / 4) * 150 };
}

export function problemsByNode(answer: ValidateAnswer | null): Map<string, { errors: Problem[]; warnings: Problem[] }> {
  const out = new Map<string, { errors: Problem[]; warnings: Problem[] }>();
  if (!answer) return out;
  const slot = (id: string) => {
    let v = out.get(id);
    if (!v) out.set(id, (v = { errors: [], warnings: [] }));
    return v;
  };
  for (const p of answer.errors) if (p.node) slot(p.node).errors.push(p);
  for (const p of answer.warnings) if (p.node) slot(p.node).warnings.push(p);
  return out;
}

/**
 * `prev` when `next` holds the very same items in the same order, else `next`: React Flow
 * rebuilds all its lookups (and runs every node's selectors) for a new array, even one
 * that holds only the objects it already had.
 */
export function keepIfSame<T>(prev: readonly T[] | null, next: T[]): T[] {
  if (!prev || prev.length !== next.length) return next;
  for (let i = 0; i < next.length; i++) if (prev[i] !== next[i]) return next;
  return prev as T[];
}

const VIEW_ONLY = { selectable: false, draggable: false, connectable: false, deletable: false } as const;

export function createFlowMapper(): FlowMapper {
  const nodeCache = new Map<string, Cached>();
  const edgeCache = new Map<string, FlowEdge<ShapeEdgeData>>();
  let lastNodes: LayerFlowNode[] | null = null;
  let lastEdges: FlowEdge<ShapeEdgeData>[] | null = null;
  /** What a card shows beyond its node's own objects, as of the last `nodes()` call. */
  let lastContext: unknown[] = [];
  const edgeIds = new WeakMap<GraphEdge, string>();

  return {
    nodes(graph, answer, specs, colours, selected, measured) {
      // while none of this changed (a param edited, a node moved), a node whose own objects
      // are unchanged keeps its data without its report being compared
      const context = [answer, specs, colours, graph.edges, graph.subgraphs, graph.layout.weights];
      const sameContext = context.every((v, i) => v === lastContext[i]);
      lastContext = context;
      const positions = positionsOf(graph);
      const byId = new Map(graph.nodes.map((n) => [n.id, n]));
      const sharedCount = new Map<string, number>();
      for (const n of graph.nodes)
        if (n.shared_with) sharedCount.set(n.shared_with, (sharedCount.get(n.shared_with) ?? 1) + 1);
      const maxInPort = new Map<string, number>();
      for (const e of graph.edges) maxInPort.set(e.target, Math.max(maxInPort.get(e.target) ?? -1, e.target_port));
      const problems = problemsByNode(answer);
      const loaded = nodesWithWeights(graph);
      /** A node's card: the `cached` one while all it shows is the same. */
      const nodeEntry = (node: GraphNode, owner: GraphNode, count: number, cached: Cached | undefined): Cached => {
        const report: NodeReport | undefined = answer?.nodes[node.id];
        const probs = problems.get(node.id);
        const sub = subgraphUsedBy(owner);
        const spec = specs.get(owner.type);
        const ports = portsOf(report, spec, sub ? subgraphPorts(graph, sub) : null);
        const errors = probs?.errors.map((p) => (p.param ? `${p.param}: ${p.message}` : p.message)) ?? [];
        const warnings = probs?.warnings.map((p) => p.message) ?? [];
        const extra = JSON.stringify([
          report?.output_shapes,
          report?.params,
          report?.macs,
          errors,
          warnings,
          maxInPort.get(node.id),
          count,
          ports,
          spec?.type,
          spec?.training_only,
          colours.get(spec?.category ?? ''),
          loaded.has(node.id),
        ]);
        if (cached && cached.node === node && cached.owner === owner && cached.extra === extra) return cached;
        const shapes = (report?.output_shapes ?? []).map(formatShape);
        // a variadic layer (Concatenate, Add) shows one free port beyond those connected
        const inputs = ports.variadic_inputs
          ? Math.max(2, ports.input_ports.length, (maxInPort.get(node.id) ?? -1) + 2)
          : ports.input_ports.length;
        const data: LayerNodeData = {
          type: owner.type,
          label: node.name || node.id,
          colour: colours.get(spec?.category ?? '') ?? '',
          keyParams: owner.type === 'Block' ? `${String(owner.params.layers)} layers` : keyParamsText(owner, spec),
          shapes,
          params: report?.params ?? null,
          macs: report?.macs ?? null,
          inputs,
          inputNames: ports.variadic_inputs ? null : ports.input_ports,
          outputs: ports.output_ports.length,
          errors,
          warnings,
          shared: node.shared_with ? 'call' : count > 0 ? 'owner' : null,
          sharedCount: count,
          subgraph: sub,
          openable: !isInside(node.id) && openable(graph, node) !== null,
          group: owner.type === 'Block' ? (node.name ?? node.id) : null,
          inner: owner.inner ? (subgraphUsedBy({ ...owner.inner, id: '' } as GraphNode) ?? owner.inner.type) : null,
          trainable: node.trainable !== false,
          trainingOnly: spec?.training_only === true,
          loaded: loaded.has(node.id),
          diff: null,
        };
        const entry = { node, owner, count, extra, data };
        nodeCache.set(node.id, entry);
        return entry;
      };
      const seen = new Set<string>();
      const result = graph.nodes.map((node, index) => {
        seen.add(node.id);
        const owner = (node.shared_with && byId.get(node.shared_with)) || node;
        const count = node.shared_with ? (sharedCount.get(node.shared_with) ?? 1) : (sharedCount.get(node.id) ?? 0);
        const cached = nodeCache.get(node.id);
        const unchanged = cached && cached.node === node && cached.owner === owner && cached.count === count;
        const entry = unchanged && sameContext ? cached : nodeEntry(node, owner, count, cached);
        const position = positions[node.id] ?? fallbackPosition(index);
        const isSelected = selected.has(node.id);
        const size = measured.get(node.id);
        const prev = entry.flow;
        if (
          prev &&
          prev.data === entry.data &&
          prev.position.x === position.x &&
          prev.position.y === position.y &&
          prev.selected === isSelected &&
          prev.measured?.width === size?.width &&
          prev.measured?.height === size?.height
        ) {
          return prev;
        }
        const flow: LayerFlowNode = {
          id: node.id,
          type: 'layer',
          position,
          data: entry.data,
          selected: isSelected,
        };
        // a layer of a Model opened in place is shown, not edited here (Edit opens it)
        if (isInside(node.id)) Object.assign(flow, VIEW_ONLY);
        if (size) flow.measured = size;
        else {
          // not measured yet: an estimate lets React Flow skip rendering it while it is
          // off screen (otherwise every node renders once, just to be measured)
          flow.initialWidth = NODE_WIDTH;
          flow.initialHeight = estimatedHeight(entry.data);
          flow.handles = estimatedHandles(entry.data, flow.initialWidth, flow.initialHeight);
        }
        entry.flow = flow;
        return flow;
      });
      for (const id of nodeCache.keys()) if (!seen.has(id)) nodeCache.delete(id);
      return (lastNodes = keepIfSame(lastNodes, result));
    },

    edges(graph, selected) {
      const seen = new Set<string>();
      const out: FlowEdge<ShapeEdgeData>[] = [];
      const positions = positionsOf(graph);
      const routes = graph.layout.routes ?? {};
      for (const e of graph.edges) {
        let id = edgeIds.get(e);
        if (id === undefined) edgeIds.set(e, (id = edgeKey(e)));
        seen.add(id);
        const isSelected = selected.has(id);
        const route = routes[id];
        const bends =
          route && samePlace(positions[e.source], route.from) && samePlace(positions[e.target], route.to)
            ? route.points
            : undefined;
        const cached = edgeCache.get(id);
        if (cached && cached.data!.bends === bends && !!cached.selected === isSelected) {
          out.push(cached);
          continue;
        }
        const edge: FlowEdge<ShapeEdgeData> = {
          id,
          type: 'shape',
          source: e.source,
          sourceHandle: `out-${e.source_port}`,
          target: e.target,
          targetHandle: `in-${e.target_port}`,
          data: { bends },
          selected: isSelected,
        };
        if (isInside(e.source) || isInside(e.target)) Object.assign(edge, { selectable: false, deletable: false });
        edgeCache.set(id, edge);
        out.push(edge);
      }
      // the tie between a shared layer's owner and each further call site
      for (const n of graph.nodes) {
        if (!n.shared_with) continue;
        const id = `tie:${n.shared_with}->${n.id}`;
        seen.add(id);
        let edge = edgeCache.get(id);
        if (!edge) {
          edge = {
            id,
            type: 'tie',
            source: n.shared_with,
            sourceHandle: 'tie-out',
            target: n.id,
            targetHandle: 'tie-in',
            selectable: false,
            deletable: false,
            focusable: false,
            data: { tie: true },
          };
          edgeCache.set(id, edge);
        }
        out.push(edge);
      }
      for (const id of edgeCache.keys()) if (!seen.has(id)) edgeCache.delete(id);
      return (lastEdges = keepIfSame(lastEdges, out));
    },
  };
}
