import { describe, expect, it } from 'vitest';
import { freezeUpTo, paramCounts, setTrainable, upstreamOf } from './freeze';
import { normalizeGraph } from './transforms';
import { emptyNodeReport, type ValidateAnswer } from './types';

// input -> conv -> bn -> pool -> head -> out, with a side branch input -> side -> head
const graph = normalizeGraph({
  nodes: [
    { id: 'input', type: 'Input', params: { shape: [8, 8, 1] } },
    { id: 'conv', type: 'Conv2D', params: { filters: 4, kernel_size: 3 } },
    { id: 'bn', type: 'BatchNormalization' },
    { id: 'pool', type: 'GlobalAveragePooling2D' },
    { id: 'side', type: 'Flatten' },
    { id: 'head', type: 'Concatenate' },
    { id: 'out', type: 'Output' },
  ],
  edges: [
    { source: 'input', target: 'conv' },
    { source: 'conv', target: 'bn' },
    { source: 'bn', target: 'pool' },
    { source: 'pool', target: 'head' },
    { source: 'input', target: 'side' },
    { source: 'side', target: 'head', target_port: 1 },
    { source: 'head', target: 'out' },
  ],
});
const frozen = (g: typeof graph) =>
  g.nodes
    .filter((n) => n.trainable === false)
    .map((n) => n.id)
    .sort();

describe('freezing', () => {
  it('freezes a node and everything it is computed from, never an Input or Output', () => {
    expect([...upstreamOf(graph, 'pool')].sort()).toEqual(['bn', 'conv', 'input', 'pool']);
    expect(frozen(freezeUpTo(graph, 'pool'))).toEqual(['bn', 'conv', 'pool']);
    expect(frozen(freezeUpTo(graph, 'out'))).toEqual(['bn', 'conv', 'head', 'pool', 'side']);
  });

  it('freezes and unfreezes a selection, leaving the graph as it was when nothing changes', () => {
    const g = setTrainable(graph, ['conv', 'side', 'input'], false);
    expect(frozen(g)).toEqual(['conv', 'side']);
    expect(setTrainable(g, ['conv', 'side'], false)).toBe(g);
    expect(frozen(setTrainable(g, ['side'], true))).toEqual(['conv']);
    expect(setTrainable(graph, ['out'], false)).toBe(graph);
  });

  it("counts trainable and non-trainable parameters as Keras's summary does", () => {
    const report = (trainable: number, non: number) =>
      emptyNodeReport({ params: trainable + non, trainable_params: trainable, non_trainable_params: non });
    const answer = {
      total_params: 40 + 16 + 10,
      nodes: {
        conv: report(0, 40), // frozen
        bn: report(8, 8), // gamma, beta / moving mean, variance
        head: report(10, 0),
        'sub/inner': report(99, 99), // a sub-graph's node: counted by its Model node
      },
    } as unknown as ValidateAnswer;
    expect(paramCounts(graph, answer)).toEqual({ total: 66, trainable: 18, nonTrainable: 48 });
    expect(paramCounts(graph, { ...answer, total_params: null })).toBeNull();
    expect(paramCounts(graph, null)).toBeNull();
  });
});
