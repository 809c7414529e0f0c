import { beforeEach, describe, expect, it, vi } from 'vitest';
import { addNode, callAgain, connect, groupIntoSubgraph, setParam } from '../graph/transforms';
import { answerOfErrors, emptyGraph, type Graph, type ValidateAnswer } from '../graph/types';
import { checkedAnswer, currentGraph, graphToValidate, useEditor } from './editor';
import { startValidation } from './validation';

const answer = (total: number): ValidateAnswer => ({
  ...answerOfErrors([]),
  valid: true,
  model_type: 'sequential',
  total_params: total,
});

beforeEach(() => useEditor.getState().load(emptyGraph()));

describe('editor store', () => {
  it('records each edit for undo and redo', () => {
    const s = useEditor.getState();
    s.edit((g) => addNode(g, 'Input', { x: 0, y: 0 }, { params: { shape: [4] } }).graph);
    s.edit((g) => addNode(g, 'Dense', { x: 0, y: 100 }, { params: { units: 2 } }).graph);
    s.edit((g) => connect(g, { source: 'input', source_port: 0, target: 'dense', target_port: 0 }));
    expect(useEditor.getState().root.edges).toHaveLength(1);
    useEditor.getState().undo();
    expect(useEditor.getState().root.edges).toHaveLength(0);
    useEditor.getState().undo();
    expect(useEditor.getState().root.nodes.map((n) => n.id)).toEqual(['input']);
    useEditor.getState().redo();
    useEditor.getState().redo();
    expect(useEditor.getState().root.edges).toHaveLength(1);
    expect(useEditor.getState().dirty).toBe(true);
  });

  it('an edit that changes nothing records nothing', () => {
    useEditor.getState().edit((g) => g);
    expect(useEditor.getState().history.past).toHaveLength(0);
  });

  it('typing into one field is one undo step', () => {
    const s = useEditor.getState();
    s.edit((g) => addNode(g, 'Dense', { x: 0, y: 0 }, { params: { units: 1 } }).graph);
    for (const u of [6, 64, 640])
      useEditor.getState().edit((g) => setParam(g, 'dense', 'units', u), 'param:dense:units');
    useEditor.getState().undo();
    expect(useEditor.getState().root.nodes[0].params.units).toBe(1);
  });

  it('dragging moves nodes without an undo step per frame, one step per drag', () => {
    const s = useEditor.getState();
    s.edit((g) => addNode(g, 'Dense', { x: 0, y: 0 }).graph);
    const before = { root: useEditor.getState().root, path: useEditor.getState().path };
    for (let x = 1; x <= 20; x++) useEditor.getState().moveNodes({ dense: { x, y: 0 } });
    expect(useEditor.getState().history.past).toHaveLength(1);
    useEditor.getState().commitMove(before);
    expect(useEditor.getState().history.past).toHaveLength(2);
    useEditor.getState().undo();
    expect(useEditor.getState().root.layout.positions!.dense).toEqual({ x: 0, y: 0 });
  });

  it('edits an opened sub-graph in place and validates it as a model of its own', () => {
    let g: Graph = emptyGraph();
    g = addNode(g, 'Input', { x: 0, y: 0 }, { params: { shape: [4] } }).graph;
    g = addNode(g, 'Dense', { x: 0, y: 0 }, { params: { units: 3 } }).graph;
    g = addNode(g, 'Output', { x: 0, y: 0 }).graph;
    g = connect(g, { source: 'input', source_port: 0, target: 'dense', target_port: 0 });
    g = connect(g, { source: 'dense', source_port: 0, target: 'output', target_port: 0 });
    g = groupIntoSubgraph(g, ['dense'], 'block', () => [null, 4]).graph;
    useEditor.getState().load(g);
    useEditor.getState().openSubgraph('block');
    expect(currentGraph(useEditor.getState()).name).toBe('block');
    useEditor.getState().edit((sub) => setParam(sub, 'dense', 'units', 7));
    const root = useEditor.getState().root;
    expect(root.subgraphs.block.nodes.find((n) => n.id === 'dense')!.params.units).toBe(7);
    expect(root.nodes.map((n) => n.type)).toEqual(['Input', 'Model', 'Output']);
    const checked = graphToValidate(root, ['block']);
    expect(checked.nodes.some((n) => n.id === 'dense')).toBe(true);
    expect(checked.subgraphs.block).toBeUndefined();
    useEditor.getState().closeSubgraph();
    expect(useEditor.getState().path).toEqual([]);
  });

  it('a shared layer edited through a call site changes the owner', () => {
    useEditor.getState().edit((g) => addNode(g, 'Dense', { x: 0, y: 0 }, { params: { units: 5 } }).graph);
    useEditor.getState().edit((g) => callAgain(g, 'dense', { x: 100, y: 0 }).graph);
    useEditor.getState().edit((g) => setParam(g, 'dense_1', 'units', 9));
    expect(useEditor.getState().root.nodes.map((n) => n.params.units)).toEqual([9, undefined]);
  });
});

describe('live validation', () => {
  it('checks a lone edit at once, a burst as one trailing request, and ignores layout-only changes', async () => {
    vi.useFakeTimers();
    const calls: Graph[] = [];
    const v = startValidation(async (g) => {
      calls.push(g);
      return answer(calls.length);
    }, 150);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(1); // the initial check, at once
    await vi.advanceTimersByTimeAsync(500);
    useEditor.getState().edit((g) => addNode(g, 'Dense', { x: 0, y: 0 }).graph);
    expect(calls).toHaveLength(2); // a lone edit goes without waiting, before anything renders it
    for (let i = 1; i < 5; i++) {
      await vi.advanceTimersByTimeAsync(20);
      useEditor.getState().edit((g) => addNode(g, 'Dense', { x: i, y: 0 }).graph);
    }
    await vi.advanceTimersByTimeAsync(100);
    expect(calls).toHaveLength(2); // the burst waits for quiet
    await vi.advanceTimersByTimeAsync(100);
    expect(calls).toHaveLength(3);
    expect(calls[2].nodes).toHaveLength(5);
    await vi.advanceTimersByTimeAsync(500);
    useEditor.getState().moveNodes({ dense: { x: 500, y: 500 } });
    await vi.advanceTimersByTimeAsync(400);
    expect(calls).toHaveLength(3);
    v.stop();
    vi.useRealTimers();
  });

  it('drops an answer that arrives after a newer request was sent', async () => {
    const pending: ((a: ValidateAnswer) => void)[] = [];
    const v = startValidation((_g) => new Promise((resolve) => pending.push(resolve)), 10_000);
    const first = v.flush();
    useEditor.getState().edit((g) => addNode(g, 'Dense', { x: 0, y: 0 }).graph);
    const second = v.flush();
    expect(pending).toHaveLength(2);
    pending[1](answer(222));
    await second;
    pending[0](answer(111)); // stale: must not overwrite the newer answer
    await first;
    expect(useEditor.getState().validation!.total_params).toBe(222);
    v.stop();
  });

  it('turns a 422 with problems into marks, and other failures into an error line', async () => {
    const { ApiError } = await import('../../api/client');
    let fail: Error = new ApiError(422, 'bad', [
      { node: 'x', param: null, code: 'too_large', message: 'too many nodes' },
    ]);
    const v = startValidation(async () => {
      throw fail;
    }, 10_000);
    await v.flush();
    expect(useEditor.getState().validation!.errors[0].code).toBe('too_large');
    fail = new ApiError(0, 'Cannot reach the server');
    useEditor.getState().edit((g) => addNode(g, 'Dense', { x: 0, y: 0 }).graph);
    await v.flush();
    expect(useEditor.getState().validationError).toBe('Cannot reach the server');
    v.stop();
  });
});

describe('checkedAnswer', () => {
  it("puts a field's own error in place of the server's older word on that param", () => {
    const old = { node: 'dense', param: 'units', code: 'too_small', message: 'must be at least 1' };
    const other = { node: 'dense_1', param: 'units', code: 'too_small', message: 'must be at least 1' };
    useEditor.getState().setValidation(emptyGraph(), { ...answer(0), valid: false, errors: [old, other] });
    expect(checkedAnswer(useEditor.getState())!.errors).toEqual([old, other]);
    useEditor.getState().setFieldError('dense', 'units', 'not a number');
    const shown = checkedAnswer(useEditor.getState())!;
    expect(shown.errors.map((p) => [p.node, p.message])).toEqual([
      ['dense', 'not a number'],
      ['dense_1', 'must be at least 1'],
    ]);
    expect(checkedAnswer(useEditor.getState())).toBe(shown); // stable for selectors
    useEditor.getState().setFieldError('dense', 'units', null);
    expect(checkedAnswer(useEditor.getState())!.errors).toEqual([old, other]);
  });

  it("does not warn that an open sub-graph's Output has no loss (the model using it has one)", async () => {
    const noLoss = { node: 'output', param: 'loss', code: 'no_loss', message: "Output 'output' has no loss" };
    const v = startValidation(async () => ({ ...answer(1), warnings: [noLoss] }), 10_000);
    await v.flush();
    expect(useEditor.getState().validation!.warnings).toEqual([noLoss]); // the model itself: it is trained
    const sub = { ...emptyGraph('block'), nodes: [{ id: 'output', type: 'Output', params: {} }] };
    useEditor.getState().load({ ...emptyGraph(), subgraphs: { block: sub } });
    useEditor.getState().openSubgraph('block');
    await v.flush();
    expect(useEditor.getState().validation!.warnings).toEqual([]);
    v.stop();
  });
});
