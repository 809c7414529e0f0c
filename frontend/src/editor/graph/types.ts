/**
 * The graph as the editor holds it: the server's Graph model (src/api/wire.ts) with
 * every defaulted field filled in (see normalizeGraph), so edits never meet a missing
 * field. Still assignable to the wire type, so it is sent as it is.
 */
import type { Edge, NodeReport, Problem, ValidateAnswer, WireGraph, WireInnerLayer, WireNode } from '../../api/wire';

export type { LayerSpec, NodeReport, ParamSpec, Problem, ValidateAnswer } from '../../api/wire';

export type NodeId = string;
export type Params = Record<string, unknown>;
export type InnerLayer = WireInnerLayer;
export type GraphNode = WireNode & { params: Params };
export type GraphEdge = Edge & { source_port: number; target_port: number };

export interface XY {
  x: number;
  y: number;
}

/**
 * An edge's path as the automatic layout drew it (bend points), valid while its two
 * nodes stay where they were then (`from`, `to`).
 */
export interface EdgeRoute {
  points: XY[];
  from: XY;
  to: XY;
}

/** Editor state kept in the graph's `layout` (never changes what is built). */
export interface Layout {
  positions?: Record<NodeId, XY>;
  /** Routes of the edges that skip past other nodes, by edge key (see edgeKey). */
  routes?: Record<string, EdgeRoute>;
  /** Names of the blocks shown collapsed (see graph/blocks.ts). */
  collapsed?: string[];
  /** Ids of the Model nodes shown open in place (see graph/inPlace.ts). */
  open?: string[];
  [key: string]: unknown;
}

export type Graph = Omit<WireGraph, 'nodes' | 'edges' | 'subgraphs' | 'layout'> & {
  nodes: GraphNode[];
  edges: GraphEdge[];
  subgraphs: Record<string, Graph>;
  layout: Layout;
};

/** One output shape as the validate answer reports it (None for an unknown dimension). */
export type Shape = (number | null)[];

export function emptyGraph(name = 'Untitled model'): Graph {
  return { schema_version: 1, name, model_type: 'auto', nodes: [], edges: [], subgraphs: {}, layout: {} };
}

/** A validate answer that carries only these errors (a refused request: no node was checked). */
export function answerOfErrors(errors: Problem[]): ValidateAnswer {
  return {
    valid: false,
    model_type: null,
    total_params: null,
    total_macs: null,
    total_activation_bytes: null,
    macs_uncounted: [],
    errors,
    warnings: [],
    nodes: {},
  };
}

/** A node's report with nothing found yet; tests fill in what they need. */
export function emptyNodeReport(ports: Partial<NodeReport> = {}): NodeReport {
  return {
    output_shapes: [],
    dtypes: [],
    params: 0,
    trainable_params: 0,
    non_trainable_params: 0,
    errors: [],
    warnings: [],
    status: 'ok',
    weights_shared_with: null,
    input_ports: ['input'],
    output_ports: ['output'],
    variadic_inputs: false,
    argument_ports: [],
    masked_outputs: [],
    macs: null,
    activation_bytes: null,
    ...ports,
  };
}

/**
 * Ends a switch over a kind the server publishes: a kind added there and not here fails
 * the build at this call. At run time (a newer server than this build) the caller's
 * fallback applies instead of an error.
 */
export function noOtherKind(kind: never): void {
  void kind;
}
