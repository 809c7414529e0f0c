import { describe, expect, it } from 'vitest';
import { normalizeGraph } from './transforms';
import { initialWeightsOf, nodesWithWeights, weightsOf, withWeights, type WeightSetInfo } from './weights';

const graph = normalizeGraph({
  nodes: [
    { id: 'input_layer', type: 'Input', name: 'input_layer', params: { shape: [4] } },
    { id: 'hidden', type: 'Dense', name: 'hidden', params: { units: 8 } },
    { id: 'extra', type: 'Dense', params: { units: 8 } },
    { id: 'head', type: 'Dense', params: { units: 3 } }, // no name: its id is its name
    { id: 'head_out', type: 'Output', name: 'head' }, // an Output named like its layer
  ],
  layout: { positions: { hidden: { x: 1, y: 2 } } },
});
const info: WeightSetInfo = {
  id: 'abc123',
  name: 'small.keras',
  source: 'keras',
  bytes: 15298,
  layers: [
    { name: 'hidden', type: 'Dense', shapes: [[4, 8], [8]], params: 40 },
    { name: 'head', type: 'Dense', shapes: [[8, 3], [3]], params: 27 },
  ],
  owner: 'local',
  created_at: '2026-01-01T00:00:00Z',
};

describe("a graph's weight set", () => {
  it('is remembered in the layout, beside what was there, and forgotten', () => {
    const g = withWeights(graph, info);
    expect(weightsOf(g)).toEqual({ id: 'abc123', name: 'small.keras', bytes: 15298, layers: ['hidden', 'head'] });
    expect(g.layout.positions).toEqual(graph.layout.positions);
    expect(g.nodes).toBe(graph.nodes); // the model is unchanged
    expect(weightsOf(withWeights(g, null))).toBeNull();
    expect(weightsOf(graph)).toBeNull();
  });

  it('marks the layers named like one of its layers, never an Input or Output', () => {
    expect([...nodesWithWeights(withWeights(graph, info))].sort()).toEqual(['head', 'hidden']);
    expect(nodesWithWeights(graph).size).toBe(0);
  });

  it('is what a run starts from', () => {
    expect(initialWeightsOf(withWeights(graph, info))).toEqual({ weights: 'abc123' });
    expect(initialWeightsOf(graph)).toBeNull();
  });

  it('ignores a layout entry that is no weight set', () => {
    expect(weightsOf({ ...graph, layout: { weights: { id: 5 } } })).toBeNull();
    expect(weightsOf({ ...graph, layout: { weights: 'x' } })).toBeNull();
  });
});
