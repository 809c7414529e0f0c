/**
 * The graph as the canvas draws it: Model nodes opened in place (inPlace.ts), then the
 * collapsed blocks as one node each (blocks.ts), with a validate answer that reports the
 * drawn nodes too: a block's summary, and each opened layer as the check of its own
 * sub-graph reported it (`inside`: answers by sub-graph name).
 */
import { collapsedView } from './blocks';
import { insideId, openView, type OpenModel } from './inPlace';
import { emptyNodeReport, type Graph, type NodeReport, type ValidateAnswer } from './types';

export interface DrawnView {
  graph: Graph;
  validation: ValidateAnswer | null;
  models: OpenModel[];
}

export function drawnView(
  graph: Graph,
  answer: ValidateAnswer | null,
  inside: ReadonlyMap<string, ValidateAnswer> = new Map(),
): DrawnView {
  const opened = openView(graph, graph.layout.open ?? []);
  let validation = answer;
  if (answer && opened.models.length) {
    const nodes = { ...answer.nodes };
    for (const m of opened.models) {
      const sub = inside.get(m.subgraph);
      if (!sub) continue;
      for (const [id, report] of Object.entries(sub.nodes)) nodes[insideId(m.id, id)] = report;
    }
    validation = { ...answer, nodes };
  }
  const view = collapsedView(opened.graph, graph.layout.collapsed ?? [], validation);
  if (view.groups.size && validation) {
    const nodes = { ...validation.nodes };
    // a block has one input and one output port (its edges are drawn to port 0)
    for (const [id, g] of view.groups)
      nodes[id] = emptyNodeReport({ output_shapes: g.shapes as NodeReport['output_shapes'], params: g.params ?? 0 });
    validation = { ...validation, nodes };
  }
  return { graph: view.graph, validation, models: opened.models };
}
