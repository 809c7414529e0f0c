/**
 * The graph contract (backend/layerforge/graph/schema.py) and the catalogue / validate
 * answers as the editor uses them. Wire types for request and response bodies come from
 * the generated OpenAPI file (src/api/schema.d.ts); these are the shapes the editor
 * manipulates, kept structurally identical to the server's pydantic models.
 */

export type NodeId = string;
export type Params = Record<string, unknown>;

export interface InnerLayer {
  type: string;
  name?: string | null;
  params?: Params;
  inner?: InnerLayer | null;
}

export interface GraphNode {
  id: NodeId;
  type: string;
  name?: string | null;
  params: Params;
  shared_with?: NodeId | null;
  inner?: InnerLayer | null;
  trainable?: boolean;
}

export interface GraphEdge {
  id?: string | null;
  source: NodeId;
  source_port: number;
  target: NodeId;
  target_port: number;
}

export interface XY {
  x: number;
  y: number;
}

export interface Graph {
  schema_version: number;
  name?: string | null;
  model_type: 'auto' | 'sequential' | 'functional';
  nodes: GraphNode[];
  edges: GraphEdge[];
  subgraphs: Record<string, Graph>;
  layout: { positions?: Record<NodeId, XY>; [key: string]: unknown };
}

export type ParamKind =
  | 'int'
  | 'float'
  | 'bool'
  | 'str'
  | 'choice'
  | 'shape'
  | 'int_tuple'
  | 'activation'
  | 'initializer'
  | 'regularizer'
  | 'constraint'
  | 'dtype'
  | 'list'
  | 'any';

export interface ParamSpec {
  name: string;
  kind: ParamKind;
  default?: unknown;
  required?: boolean;
  choices?: unknown[] | null;
  min?: number | null;
  max?: number | null;
  nullable?: boolean;
  description?: string | null;
}

export interface LayerSpec {
  type: string;
  category: string;
  description: string;
  inputs: number | 'many';
  outputs: number | 'many';
  /** Names of the input ports (attention layers: query, value, key), when they have names. */
  input_ports?: string[] | null;
  /** Fewest inputs that must be connected (attention: query and value). */
  min_inputs?: number | null;
  wraps?: boolean;
  multi_output_param?: string | null;
  key_params?: string[];
  params: ParamSpec[];
}

export interface Problem {
  node: NodeId | null;
  param: string | null;
  code: string;
  message: string;
}

export type Shape = (number | null)[];

export interface NodeReport {
  output_shapes: Shape[];
  params: number;
  trainable_params?: number;
  non_trainable_params?: number;
  errors: Problem[];
  warnings: Problem[];
}

export interface ValidateAnswer {
  valid: boolean;
  model_type: 'sequential' | 'functional' | null;
  total_params: number | null;
  errors: Problem[];
  warnings: Problem[];
  nodes: Record<NodeId, NodeReport>;
}

export interface SummaryLayer {
  node: NodeId;
  name: string;
  type: string;
  output_shapes: Shape[];
  params: number;
}

export interface BuildAnswer {
  model_type: string;
  total_params: number;
  trainable_params: number;
  non_trainable_params?: number;
  layers: SummaryLayer[];
}

export function emptyGraph(name = 'Untitled model'): Graph {
  return { schema_version: 1, name, model_type: 'auto', nodes: [], edges: [], subgraphs: {}, layout: {} };
}
