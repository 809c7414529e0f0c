import { describe, expect, it } from 'vitest';
import {
  addNode,
  callAgain,
  callSites,
  connect,
  connectionProblem,
  copyNodes,
  groupIntoSubgraph,
  normalizeGraph,
  pasteClip,
  placeSubgraph,
  removeNodes,
  setParam,
  subgraphPorts,
} from './transforms';
import { emptyGraph, type Graph } from './types';

function chain(): Graph {
  return normalizeGraph({
    nodes: [
      { id: 'in', type: 'Input', params: { shape: [8] } },
      { id: 'd1', type: 'Dense', params: { units: 16 } },
      { id: 'd2', type: 'Dense', params: { units: 4 } },
      { id: 'out', type: 'Output', params: {} },
    ],
    edges: [
      { source: 'in', target: 'd1' },
      { source: 'd1', target: 'd2' },
      { source: 'd2', target: 'out' },
    ],
    layout: { positions: { in: { x: 0, y: 0 }, d1: { x: 0, y: 100 }, d2: { x: 0, y: 200 }, out: { x: 0, y: 300 } } },
  });
}

describe('graph transforms', () => {
  it('fills defaults omitted on the wire, recursively', () => {
    const g = normalizeGraph({
      nodes: [{ id: 'a', type: 'Dense' }],
      edges: [{ source: 'a', target: 'b' }],
      subgraphs: { s: {} },
    });
    expect(g.edges[0]).toMatchObject({ source_port: 0, target_port: 0 });
    expect(g.nodes[0].params).toEqual({});
    expect(g.subgraphs.s.nodes).toEqual([]);
  });

  it('adds nodes with unique ids and a position', () => {
    let g = emptyGraph();
    const a = addNode(g, 'Dense', { x: 1, y: 2 });
    g = a.graph;
    const b = addNode(g, 'Dense', { x: 3, y: 4 });
    expect([a.id, b.id]).toEqual(['dense', 'dense_1']);
    expect(b.graph.layout.positions).toEqual({ dense: { x: 1, y: 2 }, dense_1: { x: 3, y: 4 } });
  });

  it('connect replaces what was on the input port and refuses cycles', () => {
    const g = chain();
    const re = connect(g, { source: 'in', source_port: 0, target: 'd2', target_port: 0 });
    expect(re.edges.filter((e) => e.target === 'd2')).toEqual([
      { source: 'in', source_port: 0, target: 'd2', target_port: 0 },
    ]);
    expect(connect(g, { source: 'd2', source_port: 0, target: 'd1', target_port: 0 })).toBe(g);
    expect(connect(g, { source: 'd1', source_port: 0, target: 'd1', target_port: 0 })).toBe(g);
  });

  it('never mutates its input and reuses untouched nodes', () => {
    const g = chain();
    const snapshot = JSON.stringify(g);
    const next = setParam(g, 'd1', 'units', 32);
    expect(JSON.stringify(g)).toBe(snapshot);
    expect(next.nodes[0]).toBe(g.nodes[0]);
    expect(next.nodes[1]).not.toBe(g.nodes[1]);
    expect(next.nodes[1].params.units).toBe(32);
  });

  it('call again makes a call site whose params live on the owner; editing one edits all', () => {
    const r = callAgain(chain(), 'd1', { x: 200, y: 100 });
    const site = r.graph.nodes.find((n) => n.id === r.id)!;
    expect(site).toMatchObject({ type: 'Dense', shared_with: 'd1', params: {} });
    // a third call from the call site still ties to the owner
    const r2 = callAgain(r.graph, r.id, { x: 400, y: 100 });
    expect(r2.graph.nodes.find((n) => n.id === r2.id)!.shared_with).toBe('d1');
    const edited = setParam(r2.graph, r.id, 'units', 99);
    expect(edited.nodes.find((n) => n.id === 'd1')!.params.units).toBe(99);
    expect(edited.nodes.find((n) => n.id === r.id)!.params).toEqual({});
    expect(callSites(edited, r2.id).map((n) => n.id)).toEqual(['d1', r.id, r2.id]);
    // Input and Output are not layers to call again
    expect(callAgain(chain(), 'in', { x: 0, y: 0 }).graph.nodes).toHaveLength(4);
  });

  it('removing a shared owner hands the layer to its next call site', () => {
    const r = callAgain(chain(), 'd1', { x: 200, y: 100 });
    const r2 = callAgain(r.graph, 'd1', { x: 400, y: 100 });
    const g = removeNodes(r2.graph, ['d1']);
    const heir = g.nodes.find((n) => n.id === r.id)!;
    expect(heir.shared_with).toBeNull();
    expect(heir.params).toEqual({ units: 16 });
    expect(g.nodes.find((n) => n.id === r2.id)!.shared_with).toBe(r.id);
    expect(g.edges.some((e) => e.source === 'd1' || e.target === 'd1')).toBe(false);
    expect(g.layout.positions!.d1).toBeUndefined();
  });

  it('copy/paste gives fresh ids, keeps inner edges, offsets positions', () => {
    const g = chain();
    const clip = copyNodes(g, ['d1', 'd2']);
    expect(clip.edges).toHaveLength(1);
    const r = pasteClip(g, clip, { x: 40, y: 40 });
    expect(r.ids).toEqual(['d1_1', 'd2_1']);
    expect(r.graph.edges).toContainEqual({ source: 'd1_1', source_port: 0, target: 'd2_1', target_port: 0, id: null });
    expect(r.graph.layout.positions!.d1_1).toEqual({ x: 40, y: 140 });
  });

  it('groups nodes into a sub-graph used by a Model node, rewiring ports in order', () => {
    const g = chain();
    const shapes: Record<string, (number | null)[]> = { in: [null, 8] };
    const r = groupIntoSubgraph(g, ['d1', 'd2'], 'block', (src) => shapes[src]);
    const model = r.graph.nodes.find((n) => n.id === r.id)!;
    expect(model).toMatchObject({ type: 'Model', params: { subgraph: 'block' } });
    expect(r.graph.nodes.map((n) => n.id)).toEqual(['in', r.id, 'out']);
    expect(r.graph.edges).toEqual([
      { source: 'in', source_port: 0, target: r.id, target_port: 0 },
      { source: r.id, source_port: 0, target: 'out', target_port: 0 },
    ]);
    const sub = r.graph.subgraphs.block;
    const input = sub.nodes.find((n) => n.type === 'Input')!;
    expect(input.params.shape).toEqual([8]); // batch axis dropped
    expect(sub.nodes.filter((n) => n.type === 'Output')).toHaveLength(1);
    expect(sub.edges.map((e) => `${e.source}->${e.target}`)).toEqual([
      `${input.id}->d1`,
      'd1->d2',
      `d2->${sub.nodes.at(-1)!.id}`,
    ]);
    expect(subgraphPorts(r.graph, 'block')).toEqual({ inputs: 1, outputs: 1 });
  });

  it('places a sub-graph again, or inside TimeDistributed', () => {
    const grouped = groupIntoSubgraph(chain(), ['d1', 'd2'], 'block', () => [null, 8]).graph;
    const again = placeSubgraph(grouped, 'block', { x: 0, y: 0 });
    expect(again.graph.nodes.find((n) => n.id === again.id)).toMatchObject({
      type: 'Model',
      params: { subgraph: 'block' },
    });
    const td = placeSubgraph(grouped, 'block', { x: 0, y: 0 }, 'TimeDistributed');
    expect(td.graph.nodes.find((n) => n.id === td.id)).toMatchObject({
      type: 'TimeDistributed',
      inner: { type: 'Model', params: { subgraph: 'block' } },
    });
    expect(placeSubgraph(grouped, 'nope', { x: 0, y: 0 }).graph).toBe(grouped);
  });
});

describe('connectionProblem', () => {
  const chain = () => {
    let g = emptyGraph();
    g = addNode(g, 'Input', { x: 0, y: 0 }).graph;
    g = addNode(g, 'Dense', { x: 0, y: 100 }).graph;
    g = addNode(g, 'Dense', { x: 0, y: 200 }).graph;
    g = connect(g, { source: 'input', source_port: 0, target: 'dense', target_port: 0 });
    return connect(g, { source: 'dense', source_port: 0, target: 'dense_1', target_port: 0 });
  };
  it('names a self loop, a cycle and a taken port, and allows a free port', () => {
    const g = chain();
    const edge = (source: string, target: string) => ({ source, source_port: 0, target, target_port: 0 });
    expect(connectionProblem(g, edge('dense', 'dense'))).toMatch(/own output/);
    expect(connectionProblem(g, edge('dense_1', 'dense'))).toBe('cycle: dense_1 already depends on dense');
    expect(connectionProblem(g, edge('input', 'dense_1'), 'input')).toBe('input of dense_1 already takes dense');
    expect(connectionProblem(g, edge('dense', 'dense_1'))).toBeNull(); // the edge already there
    expect(connectionProblem(g, { ...edge('input', 'dense_1'), target_port: 1 })).toBeNull();
  });
});
