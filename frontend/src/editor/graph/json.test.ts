import { afterEach, describe, expect, it, vi } from 'vitest';
import { graphJson } from './json';
import { groupIntoSubgraph, normalizeGraph, positionsOf, setParam, withPositions } from './transforms';
import type { Graph } from './types';

const graph: Graph = normalizeGraph({
  name: 'g',
  nodes: [
    { id: 'in', type: 'Input', params: { shape: [4, null] } },
    { id: 'd1', type: 'Dense', params: { units: 3, activation: undefined } },
    { id: 'd2', type: 'Dense', name: 'second', params: { units: 5 } },
    { id: 'out', type: 'Output', params: {} },
  ],
  edges: [
    { source: 'in', target: 'd1' },
    { source: 'd1', target: 'd2' },
    { source: 'd2', target: 'out' },
  ],
  layout: { positions: { in: { x: 0, y: 0 }, d1: { x: 0, y: 100 } }, collapsed: [] },
});

afterEach(() => vi.restoreAllMocks());

describe('graphJson', () => {
  it('writes what JSON.stringify writes, for edited graphs and sub-graphs too', () => {
    expect(graphJson(graph)).toBe(JSON.stringify(graph));
    const edited = setParam(graph, 'd2', 'units', 7);
    expect(graphJson(edited)).toBe(JSON.stringify(edited));
    const moved = withPositions(edited, { ...positionsOf(edited), d1: { x: 5, y: 5 } });
    expect(graphJson(moved)).toBe(JSON.stringify(moved));
    const grouped = groupIntoSubgraph(moved, ['d1', 'd2'], 'block', () => [null, 4]).graph;
    expect(Object.keys(grouped.subgraphs)).toEqual(['block']);
    expect(graphJson(grouped)).toBe(JSON.stringify(grouped));
  });

  it('after an edit, writes only the node that changed', () => {
    graphJson(graph);
    const edited = setParam(graph, 'd2', 'units', 9);
    const spy = vi.spyOn(JSON, 'stringify');
    const text = graphJson(edited);
    const objects = spy.mock.calls.map(([v]) => v).filter((v) => typeof v === 'object' && v !== null);
    expect(objects).toEqual([edited.nodes[2]]);
    spy.mockRestore();
    expect(text).toBe(JSON.stringify(edited));
  });
});
