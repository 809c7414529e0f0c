import { describe, expect, it } from 'vitest';
import { normalizeGraph } from '../graph/transforms';
import type { GraphDiff } from '../../api/wire';
import { changeNotes, diffEdges, diffMarks, GHOST_PREFIX, ghostNodes, ghostPositions } from './diffView';

// a: input -> d1 -> drop -> out ; b: input -> d1(units 32) -> bn -> out2 (renamed Output)
const before = normalizeGraph({
  nodes: [
    { id: 'input', type: 'Input', params: { shape: [4] } },
    { id: 'd1', type: 'Dense', params: { units: 64 } },
    { id: 'drop', type: 'Dropout', params: { rate: 0.5 } },
    { id: 'out', type: 'Output' },
  ],
  edges: [
    { source: 'input', target: 'd1' },
    { source: 'd1', target: 'drop' },
    { source: 'drop', target: 'out' },
  ],
  layout: { positions: { input: { x: 0, y: 0 }, d1: { x: 0, y: 150 }, drop: { x: 0, y: 300 }, out: { x: 0, y: 450 } } },
});
const after = normalizeGraph({
  nodes: [
    { id: 'input', type: 'Input', params: { shape: [4] } },
    { id: 'd1', type: 'Dense', params: { units: 32 } },
    { id: 'bn', type: 'BatchNormalization' },
    { id: 'out2', type: 'Output' },
  ],
  edges: [
    { source: 'input', target: 'd1' },
    { source: 'd1', target: 'bn' },
    { source: 'bn', target: 'out2' },
  ],
  // laid out apart: shifted right by 1000
  layout: {
    positions: {
      input: { x: 1000, y: 0 },
      d1: { x: 1000, y: 150 },
      bn: { x: 1000, y: 300 },
      out2: { x: 1000, y: 450 },
    },
  },
});
const e = (source: string, target: string) => ({ source, source_port: 0, target, target_port: 0 });
const diff: GraphDiff = {
  added: [{ id: 'bn', type: 'BatchNormalization' }],
  removed: [{ id: 'drop', type: 'Dropout' }],
  changed: [
    {
      a: 'd1',
      b: 'd1',
      type: 'Dense',
      changes: [{ param: 'params.units', old: 64, new: 32 }],
      params: [320, 160],
      output_shapes: [[[null, 64]], [[null, 32]]],
    },
    { a: 'out', b: 'out2', type: 'Output', changes: [] },
  ],
  matched: { input: 'input', d1: 'd1', out: 'out2' },
  edges_added: [e('d1', 'bn'), e('bn', 'out2')],
  edges_removed: [e('d1', 'drop'), e('drop', 'out')],
  total_params: [330, 234],
  same: false,
};

describe('diff on the canvas', () => {
  it('marks each node of b and each removed node of a, with every change of a changed one', () => {
    const marks = diffMarks(after, diff);
    expect(marks.get('input')?.kind).toBe('same');
    expect(marks.get('bn')?.kind).toBe('added');
    expect(marks.get('d1')).toEqual({
      kind: 'changed',
      notes: ['units: 64 → 32', 'params: 320 → 160', 'output: (None, 64) → (None, 32)'],
    });
    expect(marks.get(GHOST_PREFIX + 'drop')?.kind).toBe('removed');
    expect(marks.get('out2')?.notes).toEqual(['id: out → out2']); // matched by wiring
  });

  it('writes the old and new value of every change as a person reads it', () => {
    expect(
      changeNotes({
        a: 'x',
        b: 'x',
        type: 'Conv2D',
        changes: [{ param: 'params.kernel_size', old: [3, 3], new: null }],
      }),
    ).toEqual(['kernel_size: (3, 3) → None']);
    expect(
      changeNotes({ a: 'x', b: 'x', type: 'Dense', changes: [{ param: 'trainable', old: true, new: false }] }),
    ).toEqual(['trainable: true → false']);
  });

  it('draws a removed node where it was, beside the neighbour it kept, clear of the nodes drawn', () => {
    const places = ghostPositions(before, after, diff, { width: 190, height: 90 });
    const ghost = places[GHOST_PREFIX + 'drop'];
    // its old place relative to d1 (150 below) would cover bn: moved right of it
    expect(ghost.y).toBe(300);
    expect(ghost.x).toBeGreaterThanOrEqual(1000 + 190);
  });

  it('draws a removed node at its old offset from a kept neighbour when nothing is there', () => {
    const roomy = { ...after, layout: { positions: { ...after.layout.positions, bn: { x: 1500, y: 300 } } } };
    expect(ghostPositions(before, roomy, diff, { width: 190, height: 90 })[GHOST_PREFIX + 'drop']).toEqual({
      x: 1000,
      y: 300,
    });
  });

  it("keeps b's edges (new ones marked) and draws a's removed edges to the ghosts and matched nodes", () => {
    const edges = diffEdges(after, diff);
    const byKind = (k: string) => edges.filter((x) => x.kind === k).map((x) => `${x.edge.source}->${x.edge.target}`);
    expect(byKind('same')).toEqual(['input->d1']);
    expect(byKind('added')).toEqual(['d1->bn', 'bn->out2']);
    expect(byKind('removed')).toEqual([`d1->${GHOST_PREFIX}drop`, `${GHOST_PREFIX}drop->out2`]);
  });

  it('gives a ghost the ports its old edges used', () => {
    const [ghost] = ghostNodes(before, diff);
    expect(ghost.node.id).toBe(GHOST_PREFIX + 'drop');
    expect(ghost.node.name).toBe('drop');
    expect([ghost.inputs, ghost.outputs]).toEqual([1, 1]);
  });
});
