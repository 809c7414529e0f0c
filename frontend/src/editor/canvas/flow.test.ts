import { describe, expect, it } from 'vitest';
import { createFlowMapper, formatShape } from './flow';
import { edgeLabel } from './edges';
import { createFrameMapper } from './BlockFrameNode';
import { callAgain, normalizeGraph, setParam } from '../graph/transforms';
import { answerOfErrors, emptyNodeReport, type LayerSpec, type ValidateAnswer } from '../graph/types';

const spec = (type: string, inputs: number | 'many', extra: Partial<LayerSpec> = {}): LayerSpec => ({
  type,
  category: 'core',
  description: '',
  inputs,
  outputs: 1,
  key_params: ['units'],
  params: [{ name: 'units', kind: 'int', required: true }],
  multi_output_param: null,
  input_ports:
    inputs === 'many'
      ? ['input_0', 'input_1']
      : Array.from({ length: inputs }, (_, i) => (inputs === 1 ? 'input' : `input_${i}`)),
  output_ports: type === 'Output' ? [] : ['output'],
  variadic_inputs: inputs === 'many',
  min_inputs: null,
  wraps: false,
  keras_class: null,
  ...extra,
});
const specs = new Map<string, LayerSpec>([
  ['Input', spec('Input', 0)],
  ['Dense', spec('Dense', 1)],
  ['Concatenate', spec('Concatenate', 'many')],
  ['LSTM', spec('LSTM', 1, { multi_output_param: 'return_state' })],
]);
const graph = normalizeGraph({
  nodes: [
    { id: 'a', type: 'Input', params: { shape: [4] } },
    { id: 'b', type: 'Input', params: { shape: [4] } },
    { id: 'cat', type: 'Concatenate' },
    { id: 'lstm', type: 'LSTM', params: { units: 8, return_state: true } },
  ],
  edges: [
    { source: 'a', target: 'cat', target_port: 0 },
    { source: 'b', target: 'cat', target_port: 1 },
  ],
});
const answer: ValidateAnswer = {
  ...answerOfErrors([{ node: 'cat', param: 'axis', code: 'bad_param', message: 'axis out of range' }]),
  total_params: 0,
  nodes: {
    a: emptyNodeReport({ output_shapes: [[null, 4]], input_ports: [] }),
    lstm: emptyNodeReport({
      output_shapes: [
        [null, 8],
        [null, 8],
        [null, 8],
      ],
      params: 416,
      output_ports: ['output', 'h', 'c'],
    }),
  },
};

describe('graph -> React Flow mapping', () => {
  const none = new Set<string>();
  it('gives ports per the catalogue: many -> one more than connected; return_state -> 3 outputs', () => {
    const m = createFlowMapper();
    const nodes = m.nodes(graph, answer, specs, new Map(), none, new Map());
    const byId = Object.fromEntries(nodes.map((n) => [n.id, n.data]));
    expect(byId.a.inputs).toBe(0);
    expect(byId.cat.inputs).toBe(3);
    expect(byId.lstm.outputs).toBe(3);
    expect(byId.lstm.params).toBe(416);
    expect(byId.cat.errors).toEqual(['axis: axis out of range']);
    expect(byId.lstm.keyParams).toBe('units=8');
  });

  it('labels each edge with the tensor shape of its source port', () => {
    const nodes = createFlowMapper().nodes(graph, answer, specs, new Map(), none, new Map());
    const node = (id: string) => nodes.find((n) => n.id === id);
    expect(edgeLabel(node('a'), 'out-0')).toBe('(None, 4)');
    expect(edgeLabel(node('lstm'), 'out-2')).toBe('(None, 8)');
    expect(edgeLabel(node('b'), 'out-0')).toBe('');
    expect(edgeLabel(undefined, 'out-0')).toBe('');
    expect(formatShape([null])).toBe('(None,)');
  });

  it('reuses node objects that did not change, so memoised nodes skip rendering', () => {
    const m = createFlowMapper();
    const sizes = new Map([['a', { width: 190, height: 80 }]]);
    const first = m.nodes(graph, answer, specs, new Map(), none, sizes);
    const edited = setParam(graph, 'lstm', 'units', 16);
    const second = m.nodes(edited, answer, specs, new Map(), none, sizes);
    expect(second[0]).toBe(first[0]);
    expect(second[0].measured).toEqual({ width: 190, height: 80 });
    expect(second[3]).not.toBe(first[3]);
    expect(second[3].data.keyParams).toBe('units=16');
  });

  it('keeps the node and edge lists, and every object in them, while nothing shown changed', () => {
    const m = createFlowMapper();
    const colours = new Map();
    const nodes = m.nodes(graph, answer, specs, colours, none, new Map());
    const edges = m.edges(graph, none);
    const moved = { ...graph, layout: { ...graph.layout } }; // another graph object, same content
    expect(m.nodes(moved, answer, specs, colours, none, new Map())).toBe(nodes);
    const edited = setParam(graph, 'lstm', 'units', 16);
    expect(m.edges(edited, none)).toBe(edges); // an edit of a param leaves every edge as it was
    const after = m.nodes(edited, answer, specs, colours, none, new Map());
    expect(after).not.toBe(nodes);
    expect(after.filter((n, i) => n !== nodes[i]).map((n) => n.id)).toEqual(['lstm']);
    expect(m.edges(edited, new Set([edges[0].id]))[0].selected).toBe(true);
  });

  it('shows an error moved to another parameter with the same message', () => {
    const m = createFlowMapper();
    const colours = new Map();
    expect(m.nodes(graph, answer, specs, colours, none, new Map())[2].data.errors).toEqual(['axis: axis out of range']);
    const moved = answerOfErrors([{ node: 'cat', param: 'units', code: 'bad_param', message: 'axis out of range' }]);
    const next: ValidateAnswer = { ...answer, errors: moved.errors };
    expect(m.nodes(graph, next, specs, colours, none, new Map())[2].data.errors).toEqual(['units: axis out of range']);
  });

  it('shows a new answer and a new call site on cards whose node objects did not change', () => {
    const m = createFlowMapper();
    const colours = new Map();
    const first = m.nodes(graph, answer, specs, colours, none, new Map());
    const next: ValidateAnswer = {
      ...answer,
      nodes: { ...answer.nodes, a: emptyNodeReport({ output_shapes: [[null, 6]], input_ports: [] }) },
    };
    const second = m.nodes(graph, next, specs, colours, none, new Map());
    expect(second[0].data.shapes).toEqual(['(None, 6)']);
    expect(second[3]).toBe(first[3]); // the LSTM's report is the same: its card is kept
    const g = normalizeGraph({ nodes: [{ id: 'd', type: 'Dense', params: { units: 2 } }] });
    expect(m.nodes(g, next, specs, colours, none, new Map())[0].data.shared).toBeNull();
    const shared = callAgain(g, 'd', { x: 0, y: 0 }).graph; // same node "d", same edges
    expect(m.nodes(shared, next, specs, colours, none, new Map())[0].data).toMatchObject({
      shared: 'owner',
      sharedCount: 2,
    });
  });

  it('keeps a frame node while its box is the same', () => {
    const frames = createFrameMapper();
    const box = {
      kind: 'block',
      target: 'b1',
      name: 'b1',
      nodes: 2,
      params: 10,
      x: 0,
      y: 0,
      width: 9,
      height: 9,
    } as const;
    const other = { ...box, target: 'b2', name: 'b2', x: 50 };
    const first = frames([box, other]);
    expect(frames([{ ...box }, { ...other }])).toBe(first);
    const grown = frames([{ ...box, height: 20 }, { ...other }]);
    expect(grown[0]).not.toBe(first[0]);
    expect(grown[0].style).toEqual({ width: 9, height: 20 });
    expect(grown[1]).toBe(first[1]);
  });

  it('draws the tie of a shared layer and badges both call sites', () => {
    const g = callAgain(normalizeGraph({ nodes: [{ id: 'd', type: 'Dense', params: { units: 2 } }] }), 'd', {
      x: 0,
      y: 0,
    }).graph;
    const m = createFlowMapper();
    const nodes = m.nodes(g, null, specs, new Map(), none, new Map());
    expect(nodes.map((n) => [n.data.shared, n.data.sharedCount])).toEqual([
      ['owner', 2],
      ['call', 2],
    ]);
    expect(nodes[1].data.keyParams).toBe('units=2'); // the call site shows the owner's params
    const ties = m.edges(g, none).filter((e) => e.type === 'tie');
    expect(ties).toHaveLength(1);
    expect(ties[0]).toMatchObject({ source: 'd', target: 'dense', type: 'tie' });
  });
});

describe('marks a card carries', () => {
  const none = new Set<string>();
  it("badges the augmentations the catalogue marks training only, and the layers of the graph's weight set", () => {
    const marked = new Map(specs);
    marked.set('RandomFlip', spec('RandomFlip', 1, { category: 'augmentation', training_only: true }));
    marked.set('AutoContrast', spec('AutoContrast', 1, { category: 'augmentation', training_only: false }));
    const g = normalizeGraph({
      nodes: [
        { id: 'flip', type: 'RandomFlip' },
        { id: 'auto', type: 'AutoContrast' },
        { id: 'dense', type: 'Dense', name: 'hidden', params: { units: 2 } },
      ],
      layout: { weights: { id: 'w1', name: 'm.keras', bytes: 10, layers: ['hidden'] } },
    });
    const m = createFlowMapper();
    const data = Object.fromEntries(m.nodes(g, null, marked, new Map(), none, new Map()).map((n) => [n.id, n.data]));
    expect([data.flip.trainingOnly, data.auto.trainingOnly, data.dense.trainingOnly]).toEqual([true, false, false]);
    expect([data.flip.loaded, data.dense.loaded]).toEqual([false, true]);
    // the weight set forgotten: the same nodes lose the mark
    const again = m.nodes({ ...g, layout: {} }, null, marked, new Map(), none, new Map());
    expect(again.find((n) => n.id === 'dense')!.data.loaded).toBe(false);
  });
});
