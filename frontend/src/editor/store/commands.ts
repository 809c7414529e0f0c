/** Editor commands shared by the toolbar, the context menu and the keyboard shortcuts. */
import { applyPatch, type Operation } from 'fast-json-patch';
import { api, ApiError } from '../../api/client';
import type { Fix, VersionConflictBody } from '../../api/wire';
import {
  callAgain,
  copyNodes,
  normalizeGraph,
  groupIntoSubgraph,
  pasteClip,
  positionsOf,
  removeEdges,
  removeNodes,
  withPositions,
} from '../graph/transforms';
import { drawnView } from '../graph/view';
import { freezeUpTo, setTrainable } from '../graph/freeze';
import type { Graph, Shape } from '../graph/types';
import { currentGraph, replaceCurrent, useEditor, type SavedRef } from './editor';

export function deleteSelection() {
  const s = useEditor.getState();
  const nodes = s.selection;
  const edges = s.edgeSelection;
  if (!nodes.length && !edges.length) return;
  s.edit((g) => removeNodes(removeEdges(g, edges), nodes));
  useEditor.getState().setSelection([]);
  useEditor.getState().setEdgeSelection([]);
}

/** Freeze (or unfreeze) the selected layers. */
export function freezeSelection(frozen: boolean) {
  const s = useEditor.getState();
  s.edit((g) => setTrainable(g, s.selection, !frozen));
}

/** Freeze `id` and every layer it is computed from (the base under a new head). */
export function freezeUpToNode(id: string) {
  useEditor.getState().edit((g) => freezeUpTo(g, id));
}

export function copySelection() {
  const s = useEditor.getState();
  if (!s.selection.length) return;
  s.setClipboard(copyNodes(currentGraph(s), s.selection));
  s.notify(`Copied ${s.selection.length} node${s.selection.length > 1 ? 's' : ''}`);
}

export function paste() {
  const s = useEditor.getState();
  if (!s.clipboard) return;
  let ids: string[] = [];
  const clip = s.clipboard;
  s.edit((g) => {
    const r = pasteClip(g, clip, { x: 40, y: 40 });
    ids = r.ids;
    return r.graph;
  });
  // a second paste lands a further step away
  s.setClipboard({
    ...clip,
    positions: Object.fromEntries(Object.entries(clip.positions).map(([k, p]) => [k, { x: p.x + 40, y: p.y + 40 }])),
  });
  useEditor.getState().setSelection(ids);
}

export function cutSelection() {
  copySelection();
  deleteSelection();
}

export function callLayerAgain(id: string) {
  const s = useEditor.getState();
  const g = currentGraph(s);
  const p = positionsOf(g)[id] ?? { x: 0, y: 0 };
  let newId = '';
  s.edit((graph) => {
    const r = callAgain(graph, id, { x: p.x + 240, y: p.y });
    newId = r.id === id ? '' : r.id;
    return r.graph;
  });
  if (newId) useEditor.getState().setSelection([newId]);
}

export function groupSelection(name = 'block') {
  const s = useEditor.getState();
  if (!s.selection.length) return;
  const shapeOf = (source: string, port: number) =>
    s.validation?.nodes[source]?.output_shapes?.[port] as Shape | undefined;
  let id = '';
  s.edit((g) => {
    const r = groupIntoSubgraph(g, s.selection, name, shapeOf);
    id = r.id;
    return r.graph;
  });
  if (id) {
    useEditor.getState().setSelection([id]);
    useEditor
      .getState()
      .notify(`Grouped into model "${currentGraph(useEditor.getState()).nodes.find((n) => n.id === id)?.name}"`);
  }
}

export function selectAll() {
  const s = useEditor.getState();
  s.setSelection(currentGraph(s).nodes.map((n) => n.id));
}

/**
 * Lay the graph being edited out with ELK. `record: false` (a graph just opened) makes
 * no undo step and leaves the unsaved mark as it was: the layout is no edit of the user.
 */
export async function autoLayout({ record = true } = {}) {
  const s = useEditor.getState();
  const g = currentGraph(s);
  const { layoutPositions } = await import('../graph/autoLayout');
  // what is on screen is laid out: a collapsed block is one node, an open Model its layers
  const view = drawnView(g, null).graph;
  const { positions, routes } = await layoutPositions(view, s.validation);
  const place = (graph: Graph) => {
    const placed = withPositions(graph, { ...positionsOf(graph), ...positions });
    return { ...placed, layout: { ...placed.layout, routes } };
  };
  if (currentGraph(useEditor.getState()) !== g) return; // edited or replaced meanwhile
  if (record) s.edit(place);
  else useEditor.setState((now) => ({ root: replaceCurrent(now.root, now.path, place(g)) }));
  useEditor.setState({ loadedAt: Date.now() });
}

/** The root graph as it is saved or exported. */
export function graphForExport(): Graph {
  return useEditor.getState().root;
}

/**
 * Save: a new version of the saved graph this one was opened from (refused if someone
 * saved since: then Save asks, see SavePrompt), or, for a graph never saved and with
 * `asNew`, ask for a name first (`saveNamed` stores it).
 */
export async function save(asNew = false) {
  const s = useEditor.getState();
  if (!s.saved || asNew) {
    const name = s.root.name || 'Untitled model';
    s.setSavePrompt({ kind: 'name', name: s.saved ? `${name} (copy)` : name });
    return;
  }
  const { saved, root } = s;
  const name = root.name || saved.name;
  try {
    const answer = await api.saveGraph(saved.id, name, root, saved.base ?? saved.version);
    useEditor.getState().setSaved({ id: answer.id, name, version: answer.version });
    useEditor.getState().notify(`Saved "${name}" (version ${answer.version})`);
  } catch (e) {
    const conflict = e instanceof ApiError && e.status === 409 ? (e.body as Partial<VersionConflictBody>) : null;
    if (conflict?.latest_version != null) {
      useEditor.getState().setSavePrompt({
        kind: 'conflict',
        saved,
        latest: conflict.latest_version,
        savedBy: conflict.saved_by ?? null,
        message: e instanceof Error ? e.message : String(e),
      });
    } else useEditor.getState().notify(`Save failed: ${(e as Error).message}`, 'error');
  }
}

/** Store the graph being drawn as a new saved graph called `name` (its name changes to it). */
export async function saveNamed(name: string): Promise<boolean> {
  const s = useEditor.getState();
  const graph = { ...s.root, name };
  try {
    const answer = await api.createGraph(name, graph);
    useEditor.setState({ root: graph });
    useEditor.getState().setSaved({ id: answer.id, name, version: answer.version });
    useEditor.getState().notify(`Saved "${name}" (version ${answer.version})`);
    return true;
  } catch (e) {
    useEditor.getState().notify(`Save failed: ${(e as Error).message}`, 'error');
    return false;
  }
}

/** After a conflict: open the latest version someone else saved, dropping this one's edits. */
export async function reloadTheirs(saved: SavedRef): Promise<void> {
  try {
    const latest = await api.getGraph(saved.id);
    useEditor.getState().load(latest.graph, { id: saved.id, name: latest.name, version: latest.version });
    useEditor.getState().notify(`Opened "${latest.name}" version ${latest.version}`);
  } catch (e) {
    useEditor.getState().notify(`Cannot open the latest version: ${(e as Error).message}`, 'error');
  }
}

/**
 * Ask before the graph being drawn is replaced while it has unsaved changes (an edit
 * since the last save, an import, a restored draft); `action` says what replaces it.
 */
export function confirmDiscard(action: string): boolean {
  const s = useEditor.getState();
  if (!s.dirty || s.root.nodes.length === 0) return true;
  const name = s.root.name || 'Untitled model';
  return window.confirm(`“${name}” has unsaved changes. Discard them and ${action}?`);
}

/** Add `value` to the layout's list `key`, or take it out (view state); lay out again. */
async function toggleInLayout(key: 'collapsed' | 'open', value: string) {
  const s = useEditor.getState();
  const g = currentGraph(s);
  const now = g.layout[key] ?? [];
  const list = now.includes(value) ? now.filter((v) => v !== value) : [...now, value];
  const next = { ...g, layout: { ...g.layout, [key]: list } };
  useEditor.setState({ root: replaceCurrent(s.root, s.path, next), selection: [] });
  await autoLayout({ record: false });
}

/** Collapse or expand the block `name`. */
export const toggleBlock = (name: string) => toggleInLayout('collapsed', name);

/** Open the Model node `id` in place, or close it. */
export const toggleOpenModel = (id: string) => toggleInLayout('open', id);

/** A one-click fix: its JSON Patch (RFC 6902), which the server has checked makes the
 * error go away, applied as one undo step to the graph it was computed on (`checked`:
 * the live check's unless given). Refused when the graph has changed since (the next
 * check brings fresh fixes). */
export function applyFix(fix: Fix, checked: Graph | null = useEditor.getState().validatedGraph): boolean {
  const s = useEditor.getState();
  const cur = currentGraph(s);
  if (!checked || checked.nodes !== cur.nodes || checked.edges !== cur.edges) {
    s.notify('The graph changed since it was checked; the fixes come back with the next check', 'error');
    return false;
  }
  try {
    // the server sends RFC 6902 operations; fast-json-patch checks each one (validate = true)
    const { newDocument } = applyPatch(cur, fix.patch as unknown as Operation[], true, false);
    s.edit(() => ({ ...normalizeGraph(newDocument), subgraphs: cur.subgraphs, layout: cur.layout }));
    s.notify(`Applied: ${fix.label}`);
    return true;
  } catch (e) {
    s.notify(`Cannot apply "${fix.label}": ${(e as Error).message}`, 'error');
    return false;
  }
}
