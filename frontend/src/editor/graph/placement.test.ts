import { describe, expect, it } from 'vitest';
import { freeSpot, spliceIntoEdge } from './placement';
import { addNode, connect } from './transforms';
import { emptyGraph, type Graph } from './types';

const size = { width: 190, height: 90 };
const sizeOf = () => size;

/** input -> dense, input at (0, 0), dense under it. */
function chain(): Graph {
  let g = addNode(emptyGraph(), 'Input', { x: 0, y: 0 }).graph;
  g = addNode(g, 'Dense', { x: 0, y: 160 }).graph;
  return connect(g, { source: 'input', source_port: 0, target: 'dense', target_port: 0 });
}

describe('freeSpot', () => {
  it('keeps a free place', () => {
    expect(freeSpot(chain(), { x: 0, y: 400 }, size, sizeOf)).toEqual({ x: 0, y: 400 });
  });

  it('moves a node that would land on another beside it', () => {
    const spot = freeSpot(chain(), { x: 0, y: 160 }, size, sizeOf);
    expect(spot.y).toBe(160);
    expect(spot.x).toBeGreaterThanOrEqual(190);
  });

  it('passes every node in the way', () => {
    let g = chain();
    g = addNode(g, 'Dense', { x: 230, y: 160 }).graph;
    const spot = freeSpot(g, { x: 0, y: 160 }, size, sizeOf);
    expect(spot.x).toBeGreaterThanOrEqual(230 + 190);
  });
});

describe('spliceIntoEdge', () => {
  it('puts a node between the two ends of an edge', () => {
    const g0 = chain();
    const { graph, id } = addNode(g0, 'Dropout', { x: 0, y: 80 });
    const g = spliceIntoEdge(graph, g0.edges[0], id);
    expect(g.edges).toEqual([
      { source: 'input', source_port: 0, target: 'dropout', target_port: 0 },
      { source: 'dropout', source_port: 0, target: 'dense', target_port: 0 },
    ]);
  });

  it('keeps the target port of the edge', () => {
    let g = addNode(chain(), 'Concatenate', { x: 0, y: 300 }).graph;
    g = connect(g, { source: 'dense', source_port: 0, target: 'concatenate', target_port: 1 });
    const { graph, id } = addNode(g, 'Dropout', { x: 0, y: 250 });
    const out = spliceIntoEdge(graph, g.edges[1], id);
    expect(out.edges).toContainEqual({ source: 'dropout', source_port: 0, target: 'concatenate', target_port: 1 });
    expect(out.edges).toContainEqual({ source: 'dense', source_port: 0, target: 'dropout', target_port: 0 });
  });

  it('leaves the graph alone for an edge that is not there', () => {
    const { graph, id } = addNode(chain(), 'Dropout', { x: 0, y: 80 });
    const gone = { source: 'dense', source_port: 0, target: 'input', target_port: 0 };
    expect(spliceIntoEdge(graph, gone, id)).toBe(graph);
  });
});
