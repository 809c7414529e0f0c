import { describe, expect, it } from 'vitest';
import { openView } from './inPlace';
import { normalizeGraph } from './transforms';

// x -> enc (Model: in -> d1 -> d2 -> out, and in -> out2 directly) -> head; enc:1 -> side
const graph = normalizeGraph({
  nodes: [
    { id: 'x', type: 'Input', params: { shape: [4] } },
    { id: 'enc', type: 'Model', name: 'encoder', params: { subgraph: 'encoder' } },
    { id: 'head', type: 'Dense', params: { units: 2 } },
    { id: 'side', type: 'Dense', params: { units: 1 } },
  ],
  edges: [
    { source: 'x', target: 'enc' },
    { source: 'enc', target: 'head' },
    { source: 'enc', source_port: 1, target: 'side' },
  ],
  subgraphs: {
    encoder: {
      nodes: [
        { id: 'in', type: 'Input', params: { shape: [4] } },
        { id: 'd1', type: 'Dense', params: { units: 8 } },
        { id: 'd2', type: 'Dense', params: { units: 8 }, shared_with: 'd1' },
        { id: 'out', type: 'Output', params: {} },
        { id: 'out2', type: 'Output', params: {} },
      ],
      edges: [
        { source: 'in', target: 'd1' },
        { source: 'd1', target: 'd2' },
        { source: 'd2', target: 'out' },
        { source: 'in', target: 'out2' },
      ],
    },
  },
});

const pairs = (g: ReturnType<typeof openView>['graph']) =>
  g.edges.map((e) => `${e.source}:${e.source_port}->${e.target}:${e.target_port}`).sort();

describe('a Model node opened in place', () => {
  it('draws its layers where it was, wired through its Inputs and Outputs', () => {
    const { graph: view, models } = openView(graph, ['enc']);
    expect(view.nodes.map((n) => n.id)).toEqual(['x', 'enc/d1', 'enc/d2', 'head', 'side']);
    expect(view.nodes[2].shared_with).toBe('enc/d1');
    expect(pairs(view)).toEqual(['enc/d1:0->enc/d2:0', 'enc/d2:0->head:0', 'x:0->enc/d1:0', 'x:0->side:0'].sort());
    expect(models).toEqual([{ id: 'enc', label: 'encoder', subgraph: 'encoder', nodes: ['enc/d1', 'enc/d2'] }]);
  });

  it('leaves the graph as it is when nothing is open', () => {
    expect(openView(graph, []).graph).toBe(graph);
    expect(openView(graph, ['head']).graph).toBe(graph); // not a Model node
  });
});
