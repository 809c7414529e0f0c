import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { addNode, setParam } from '../graph/transforms';
import { emptyGraph } from '../graph/types';
import { DRAFT_KEY, keepDrafts, readDraft } from './draft';
import { useEditor } from './editor';

function memoryStorage(): Storage {
  const items = new Map<string, string>();
  return {
    get length() {
      return items.size;
    },
    clear: () => items.clear(),
    getItem: (k) => items.get(k) ?? null,
    key: (i) => [...items.keys()][i] ?? null,
    removeItem: (k) => void items.delete(k),
    setItem: (k, v) => void items.set(k, v),
  };
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.stubGlobal('window', { addEventListener: () => undefined, removeEventListener: () => undefined });
  useEditor.getState().load(emptyGraph());
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('drafts', () => {
  it('writes the graph a quiet moment after the last change, and at once when stopped', async () => {
    const storage = memoryStorage();
    const stop = keepDrafts(storage);
    useEditor.getState().edit((g) => addNode(g, 'Dense', { x: 0, y: 0 }, { params: { units: 2 } }).graph);
    await vi.advanceTimersByTimeAsync(300);
    useEditor.getState().edit((g) => setParam(g, 'dense', 'units', 3));
    await vi.advanceTimersByTimeAsync(300);
    expect(storage.getItem(DRAFT_KEY)).toBeNull(); // still changing: nothing written yet
    await vi.advanceTimersByTimeAsync(200);
    const draft = readDraft(storage)!;
    expect(draft.graph).toEqual(useEditor.getState().root);
    expect(draft).toMatchObject({ saved: null, dirty: true });
    useEditor.getState().edit((g) => setParam(g, 'dense', 'units', 4));
    stop();
    expect(readDraft(storage)!.graph.nodes[0].params.units).toBe(4);
  });

  it('waits for the answer to a check in flight before writing', async () => {
    const storage = memoryStorage();
    const stop = keepDrafts(storage);
    useEditor.getState().edit((g) => addNode(g, 'Dense', { x: 0, y: 0 }, { params: { units: 2 } }).graph);
    useEditor.getState().setValidating(true);
    await vi.advanceTimersByTimeAsync(2000);
    expect(storage.getItem(DRAFT_KEY)).toBeNull(); // the server is checking the edit
    useEditor.getState().setValidation(useEditor.getState().root, null);
    await vi.advanceTimersByTimeAsync(10);
    expect(readDraft(storage)!.graph).toEqual(useEditor.getState().root);
    stop();
  });
});
