/**
 * Model nodes opened in place: the canvas draws the sub-graph's layers where the Model
 * node was, wired to the layers around it, inside a frame; its Input and Output nodes
 * become the edges that cross the frame. Only a view, like collapsed blocks: the graph
 * keeps its Model node, the layout keeps which ones are open (`layout.open`), and the
 * layers inside are edited by opening the sub-graph itself. Ids inside are
 * `model/layer`, which no graph id can be (ids never hold a "/").
 */
import type { Graph, GraphEdge, GraphNode, NodeId } from './types';

export const INSIDE = '/';

export function insideId(model: NodeId, id: NodeId): NodeId {
  return `${model}${INSIDE}${id}`;
}

export function isInside(id: NodeId): boolean {
  return id.includes(INSIDE);
}

/** A Model node shown open: its sub-graph and the ids its layers have on the canvas. */
export interface OpenModel {
  id: NodeId;
  label: string;
  subgraph: string;
  nodes: NodeId[];
}

/** The sub-graph a plain Model node uses (a wrapped or shared one cannot open in place). */
export function openable(graph: Graph, node: GraphNode): string | null {
  const name = node.type === 'Model' && !node.shared_with ? node.params.subgraph : null;
  return typeof name === 'string' && graph.subgraphs[name] ? name : null;
}

export function openView(graph: Graph, open: NodeId[]): { graph: Graph; models: OpenModel[] } {
  if (!open.length) return { graph, models: [] }; // nothing open (the usual case): no pass over the nodes
  const wanted = new Set(open);
  const models: OpenModel[] = [];
  let nodes = graph.nodes;
  let edges = graph.edges;
  for (const model of graph.nodes) {
    const name = wanted.has(model.id) ? openable(graph, model) : null;
    if (!name) continue;
    const sub = graph.subgraphs[name];
    const inputs = sub.nodes.filter((n) => n.type === 'Input').map((n) => n.id);
    const outputs = sub.nodes.filter((n) => n.type === 'Output').map((n) => n.id);
    const fedBy = new Map<number, GraphEdge>();
    for (const e of edges) if (e.target === model.id) fedBy.set(e.target_port, e);
    /** Where a tensor inside comes from on the canvas (an Input: what feeds that port). */
    const from = (source: NodeId, port: number): Pick<GraphEdge, 'source' | 'source_port'> | null => {
      const k = inputs.indexOf(source);
      if (k < 0) return { source: insideId(model.id, source), source_port: port };
      const outer = fedBy.get(k);
      return outer ? { source: outer.source, source_port: outer.source_port } : null;
    };
    const inner = sub.nodes
      .filter((n) => n.type !== 'Input' && n.type !== 'Output')
      .map((n) => ({
        ...n,
        id: insideId(model.id, n.id),
        ...(n.shared_with ? { shared_with: insideId(model.id, n.shared_with) } : {}),
      }));
    const wired: GraphEdge[] = [];
    const leaving = new Map<number, Pick<GraphEdge, 'source' | 'source_port'>>();
    for (const e of sub.edges) {
      const src = from(e.source, e.source_port);
      if (!src) continue;
      const k = outputs.indexOf(e.target);
      if (k >= 0) leaving.set(k, src);
      else wired.push({ ...e, ...src, target: insideId(model.id, e.target) });
    }
    for (const e of edges) {
      if (e.target === model.id) continue;
      if (e.source !== model.id) wired.push(e);
      else {
        const src = leaving.get(e.source_port);
        if (src) wired.push({ ...e, ...src });
      }
    }
    const at = nodes.indexOf(model);
    nodes = [...nodes.slice(0, at), ...inner, ...nodes.slice(at + 1)];
    edges = wired;
    models.push({ id: model.id, label: model.name || model.id, subgraph: name, nodes: inner.map((n) => n.id) });
  }
  if (!models.length) return { graph, models };
  return { graph: { ...graph, nodes, edges }, models };
}
