import { describe, expect, it } from 'vitest';
import { blockFrames, blockOf, blocksOf, collapsedView } from './blocks';
import type { Graph, ValidateAnswer } from './types';
import { normalizeGraph } from './transforms';

describe('blocks from Keras layer names', () => {
  it('names the block of MobileNet, ResNet, ConvNeXt-style and VGG layers', () => {
    expect(blockOf('block_3_expand')).toBe('block_3');
    expect(blockOf('block_3_expand_BN')).toBe('block_3');
    expect(blockOf('conv4_block2_1_conv')).toBe('conv4_block2');
    expect(blockOf('stage_0_block_1_conv')).toBe('stage_0_block_1');
    expect(blockOf('block1_conv1')).toBe('block1');
    expect(blockOf('dense')).toBeNull();
  });

  // input -> a1 -> a2 (block_1) -> add(a2, input) -> out
  const graph: Graph = normalizeGraph({
    nodes: [
      { id: 'input', type: 'Input', params: { shape: [4] } },
      { id: 'block_1_a', type: 'Dense', params: { units: 4 } },
      { id: 'block_1_b', type: 'Dense', params: { units: 4 } },
      { id: 'add', type: 'Add', params: {} },
      { id: 'out', type: 'Output', params: {} },
    ],
    edges: [
      { source: 'input', target: 'block_1_a' },
      { source: 'block_1_a', target: 'block_1_b' },
      { source: 'block_1_b', target: 'add', target_port: 0 },
      { source: 'input', target: 'add', target_port: 1 },
      { source: 'add', target: 'out' },
    ],
  });
  const answer = {
    nodes: {
      block_1_a: { params: 20, output_shapes: [[null, 4]] },
      block_1_b: { params: 20, output_shapes: [[null, 4]] },
    },
  } as unknown as ValidateAnswer;

  it('finds blocks of two or more layers', () => {
    expect(blocksOf(graph)).toEqual([{ name: 'block_1', nodes: ['block_1_a', 'block_1_b'] }]);
  });

  it('shows a collapsed block as one node with its parameters and outgoing shape', () => {
    const view = collapsedView(graph, ['block_1'], answer);
    expect(view.graph.nodes.map((n) => n.id)).toEqual(['input', 'block:block_1', 'add', 'out']);
    expect(view.graph.edges.map((e) => `${e.source}->${e.target}:${e.target_port}`)).toEqual([
      'input->block:block_1:0',
      'block:block_1->add:0',
      'input->add:1',
      'add->out:0',
    ]);
    expect(view.groups.get('block:block_1')).toEqual({ name: 'block_1', nodes: 2, params: 40, shapes: [[null, 4]] });
    expect(collapsedView(graph, []).graph).toBe(graph);
  });
});

describe('frames around expanded blocks', () => {
  const placed: Graph = normalizeGraph({
    nodes: [
      { id: 'input', type: 'Input', params: { shape: [4] } },
      { id: 'block_1_a', type: 'Dense', params: { units: 4 } },
      { id: 'block_1_b', type: 'Dense', params: { units: 4 } },
      { id: 'block_2_a', type: 'Dense', params: { units: 4 } },
      { id: 'block_2_b', type: 'Dense', params: { units: 4 } },
      { id: 'out', type: 'Output', params: {} },
    ],
    edges: [],
    layout: {
      positions: {
        input: { x: 0, y: 0 },
        block_1_a: { x: 0, y: 100 },
        block_1_b: { x: 300, y: 200 },
        block_2_a: { x: 0, y: 400 },
      },
    },
  });
  const size = () => ({ width: 190, height: 80 });

  it('boxes every node of an expanded block, with a title row above them', () => {
    const answer = { nodes: { block_1_a: { params: 20 }, block_1_b: { params: 20 } } } as unknown as ValidateAnswer;
    const [frame, ...rest] = blockFrames(placed, [], size, answer);
    expect(rest).toEqual([]); // block_2 has a node with no position yet
    expect(frame).toEqual({
      kind: 'block',
      target: 'block_1',
      name: 'block_1',
      nodes: 2,
      params: 40,
      x: -14,
      y: 100 - 14 - 26,
      width: 490 + 28,
      height: 180 + 28 + 26,
    });
  });

  it('draws none around a collapsed block', () => {
    expect(blockFrames(placed, ['block_1'], size)).toEqual([]);
  });
});
