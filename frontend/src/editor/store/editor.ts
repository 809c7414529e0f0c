/**
 * The editor's state: the graph being drawn (root graph + the sub-graph path being
 * edited), the catalogue, the latest validation answer, selection, undo history.
 * Components read slices with selectors; every edit goes through `edit`, which records
 * history and so triggers live validation (see ./validation.ts).
 */
import { create } from 'zustand';
import { emptyHistory, record, redo, undo, type History } from './history';
import type { Catalogue, Category, Choices } from '../../api/wire';
import type { Graph, LayerSpec, NodeId, Problem, ValidateAnswer, XY } from '../graph/types';
import { emptyGraph } from '../graph/types';
import { normalizeGraph, positionsOf, withPositions, type Clip } from '../graph/transforms';
import type { ErrorColouring } from '../quantError';

export interface Snapshot {
  root: Graph;
  path: string[];
}

export interface SavedRef {
  id: string;
  name: string;
  /** The version opened or last saved. */
  version: number;
  /** The latest version when it was opened, if that was not `version` (an older one opened to go on from). */
  base?: number;
}

/**
 * What Save asks before it stores: a name (a graph never saved, or a copy), or what to
 * do when someone else saved a version since this one was opened (409 version_conflict).
 */
export type SavePrompt =
  | { kind: 'name'; name: string }
  | { kind: 'conflict'; saved: SavedRef; latest: number; savedBy: string | null; message: string };

/** A mark on a node: a colour along a legend (0..1), a line of text, flags explained. */
export interface NodeMark {
  heat: number;
  text: string;
  flags: string[];
}

export interface NodeOverlay {
  nodes: Map<NodeId, NodeMark>;
}

export interface EditorState {
  catalogue: LayerSpec[];
  specs: Map<string, LayerSpec>;
  /** The catalogue's categories in display order, with their titles and colours. */
  categories: Category[];
  /** Names the server accepts for dtype, activation, initializer, ... params. */
  choices: Partial<Choices>;
  catalogueError: string | null;
  root: Graph;
  /** Names of the sub-graphs opened for editing, outermost first; [] edits the root. */
  path: string[];
  validation: ValidateAnswer | null;
  /** What was validated: the graph object the answer belongs to. */
  validatedGraph: Graph | null;
  validating: boolean;
  validationError: string | null;
  selection: NodeId[];
  /** Selected edge keys (see edgeKey) in the graph being edited. */
  edgeSelection: string[];
  /** Bumped when a graph is opened, so the canvas fits it into view. */
  loadedAt: number;
  history: History<Snapshot>;
  clipboard: Clip | null;
  saved: SavedRef | null;
  dirty: boolean;
  /** A node to bring into view (problems list click); the canvas consumes it. */
  focusRequest: { id: NodeId; at: number } | null;
  toast: { text: string; kind: 'info' | 'error'; at: number } | null;
  /**
   * What a field holds that cannot be sent (text that is no number, ...), by node and
   * param: it stands in for the server's (older) word on that param everywhere.
   */
  fieldErrors: Record<string, Problem>;
  /** Marks drawn over nodes by someone else (the training dashboard's colouring). */
  overlay: NodeOverlay | null;
  /** A quantized export's layer errors on the nodes (quantError.ts); drawn instead of `overlay` while set. */
  errorOverlay: ErrorColouring | null;
  savePrompt: SavePrompt | null;
  /**
   * The runs of the graph being drawn (started from it, or it opened from them): only
   * their charts and colouring belong on it. Another graph opened starts with none.
   */
  runs: string[];

  setCatalogue(catalogue: Catalogue): void;
  setCatalogueError(message: string): void;
  /** Apply an edit to the graph being edited (root or open sub-graph). */
  edit(fn: (g: Graph) => Graph, group?: string | null): void;
  /** Move nodes without an undo step per frame (drag); call `commitMove` when the drag ends. */
  moveNodes(positions: Record<NodeId, XY>): void;
  commitMove(before: Snapshot): void;
  /**
   * Open a graph, replacing the one being drawn. `dirty`: it is not stored anywhere yet
   * (an import, a restored draft), so discarding it asks first. `runs`: its runs (a
   * restored draft's, a run's graph opened); the overlay of any other graph goes.
   */
  load(graph: Graph, saved?: SavedRef | null, opts?: { dirty?: boolean; runs?: string[] }): void;
  openSubgraph(name: string): void;
  closeSubgraph(levels?: number): void;
  setSelection(ids: NodeId[]): void;
  setEdgeSelection(keys: string[]): void;
  setValidation(graph: Graph, answer: ValidateAnswer | null, error?: string | null): void;
  setValidating(v: boolean): void;
  undo(): void;
  redo(): void;
  setClipboard(clip: Clip | null): void;
  setSaved(saved: SavedRef | null): void;
  focusNode(id: NodeId): void;
  notify(text: string, kind?: 'info' | 'error'): void;
  setFieldError(node: NodeId, param: string, message: string | null): void;
  setOverlay(overlay: NodeOverlay | null): void;
  setErrorOverlay(overlay: ErrorColouring | null): void;
  /** A run started from the graph being drawn. */
  addRun(id: string): void;
  setSavePrompt(prompt: SavePrompt | null): void;
}

export function currentGraph(s: Pick<EditorState, 'root' | 'path'>): Graph {
  let g = s.root;
  for (const name of s.path) g = s.root.subgraphs[name] ?? g;
  return g;
}

/** Write `next` back where the current graph lives (all definitions sit on the root). */
export function replaceCurrent(root: Graph, path: string[], next: Graph): Graph {
  if (!path.length) return next;
  const name = path[path.length - 1];
  // sub-graph definitions created inside a sub-graph are hoisted to the root
  const hoisted = { ...root.subgraphs, ...next.subgraphs, [name]: { ...next, subgraphs: {} } };
  return { ...root, subgraphs: hoisted };
}

/**
 * The graph the server checks for what is on screen: the root, or an open sub-graph as
 * a model of its own (with the other definitions it may use).
 */
export function graphToValidate(root: Graph, path: string[]): Graph {
  if (!path.length) return root;
  const name = path[path.length - 1];
  const sub = root.subgraphs[name];
  if (!sub) return root;
  const others = { ...root.subgraphs };
  delete others[name];
  return { ...sub, subgraphs: others };
}

export const useEditor = create<EditorState>()((set, get) => ({
  catalogue: [],
  specs: new Map(),
  categories: [],
  choices: {},
  catalogueError: null,
  root: emptyGraph(),
  path: [],
  validation: null,
  validatedGraph: null,
  validating: false,
  validationError: null,
  selection: [],
  edgeSelection: [],
  loadedAt: 0,
  history: emptyHistory(),
  clipboard: null,
  saved: null,
  dirty: false,
  focusRequest: null,
  toast: null,
  fieldErrors: {},
  overlay: null,
  errorOverlay: null,
  runs: [],
  savePrompt: null,
  setSavePrompt: (savePrompt) => set({ savePrompt }),
  setOverlay: (overlay) => set({ overlay }),
  setErrorOverlay: (errorOverlay) => set({ errorOverlay }),
  addRun: (id) => set((s) => (s.runs.includes(id) ? s : { runs: [...s.runs, id] })),

  setCatalogue: ({ layers, categories, choices }) =>
    set({
      catalogue: layers,
      specs: new Map(layers.map((l) => [l.type, l])),
      categories,
      choices,
      catalogueError: null,
    }),
  setCatalogueError: (message) => set({ catalogueError: message }),

  edit: (fn, group = null) => {
    const s = get();
    const cur = currentGraph(s);
    const next = fn(cur);
    if (next === cur) return;
    set({
      root: replaceCurrent(s.root, s.path, next),
      history: record(s.history, { root: s.root, path: s.path }, group),
      dirty: true,
    });
  },

  moveNodes: (moved) => {
    const s = get();
    const cur = currentGraph(s);
    set({ root: replaceCurrent(s.root, s.path, withPositions(cur, { ...positionsOf(cur), ...moved })) });
  },

  commitMove: (before) => set((s) => ({ history: record(s.history, before), dirty: true })),

  load: (graph, saved = null, opts = {}) =>
    set({
      root: normalizeGraph(graph),
      path: [],
      history: emptyHistory(),
      selection: [],
      edgeSelection: [],
      validation: null,
      validatedGraph: null,
      loadedAt: Date.now(),
      saved,
      dirty: !!opts.dirty,
      fieldErrors: {},
      runs: opts.runs ?? [],
      overlay: null,
      errorOverlay: null,
    }),

  openSubgraph: (name) =>
    set((s) => (s.root.subgraphs[name] ? { path: [...s.path, name], selection: [], validation: null } : {})),
  closeSubgraph: (levels = 1) =>
    set((s) => ({ path: s.path.slice(0, Math.max(0, s.path.length - levels)), selection: [], validation: null })),

  setSelection: (ids) => set({ selection: ids }),
  setEdgeSelection: (keys) => set({ edgeSelection: keys }),
  setValidation: (graph, answer, error = null) =>
    set({ validation: answer, validatedGraph: graph, validationError: error, validating: false }),
  setValidating: (v) => set({ validating: v }),

  undo: () => {
    const s = get();
    const r = undo(s.history, { root: s.root, path: s.path });
    if (r) set({ root: r.value.root, path: r.value.path, history: r.history, dirty: true });
  },
  redo: () => {
    const s = get();
    const r = redo(s.history, { root: s.root, path: s.path });
    if (r) set({ root: r.value.root, path: r.value.path, history: r.history, dirty: true });
  },
  setClipboard: (clip) => set({ clipboard: clip }),
  setSaved: (saved) => set({ saved, dirty: false }),
  focusNode: (id) => set({ focusRequest: { id, at: Date.now() }, selection: [id] }),
  notify: (text, kind = 'info') => set({ toast: { text, kind, at: Date.now() } }),
  setFieldError: (node, param, message) =>
    set((s) => {
      const key = `${node}\u0000${param}`;
      if ((s.fieldErrors[key]?.message ?? null) === message) return s; // unchanged: no update
      const next = { ...s.fieldErrors };
      if (message) next[key] = { node, param, code: 'invalid_text', message };
      else delete next[key];
      return { fieldErrors: next };
    }),
}));

let checkedCache: { answer: ValidateAnswer | null; fields: Record<string, Problem>; out: ValidateAnswer | null } = {
  answer: null,
  fields: {},
  out: null,
};

/**
 * The validation answer as the editor shows it: the server's, where a field's own error
 * (text it cannot send) replaces the server's word on that param, so the field, the node
 * card and the problems list all say the same current thing. Stable between changes.
 */
export function checkedAnswer(s: Pick<EditorState, 'validation' | 'fieldErrors'>): ValidateAnswer | null {
  if (checkedCache.answer === s.validation && checkedCache.fields === s.fieldErrors) return checkedCache.out;
  const local = Object.values(s.fieldErrors);
  let out = s.validation;
  if (out && local.length) {
    const replaced = new Set(local.map((p) => `${p.node}\u0000${p.param}`));
    const errors = out.errors.filter((p) => !(p.param && replaced.has(`${p.node}\u0000${p.param}`)));
    out = { ...out, valid: false, errors: [...local, ...errors] };
  }
  checkedCache = { answer: s.validation, fields: s.fieldErrors, out };
  return out;
}
