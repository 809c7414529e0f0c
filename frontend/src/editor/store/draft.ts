/**
 * The graph being drawn survives a reload, a crash or a closed tab: every change is
 * written (shortly after, and at once when the page goes away) to localStorage as a
 * draft, with the saved graph it came from and whether it has unsaved changes. On open
 * the draft is put back and a note says so.
 */
import type { Graph } from '../graph/types';
import { graphJson } from '../graph/json';
import { normalizeGraph } from '../graph/transforms';
import { useEditor, type SavedRef } from './editor';

export const DRAFT_KEY = 'layerforge.draft';
const WRITE_DELAY_MS = 400;
const IDLE_TIMEOUT_MS = 1000;

export interface Draft {
  graph: Graph;
  saved: SavedRef | null;
  dirty: boolean;
  /** The runs of this graph (see EditorState.runs); absent in older drafts. */
  runs?: string[];
  /** When it was written (ms since the epoch). */
  at: number;
}

export function readDraft(storage: Storage = localStorage): Draft | null {
  try {
    const text = storage.getItem(DRAFT_KEY);
    if (!text) return null;
    const d = JSON.parse(text) as Draft;
    if (!d?.graph || !Array.isArray(d.graph.nodes)) return null;
    return { ...d, graph: normalizeGraph(d.graph) };
  } catch {
    return null;
  }
}

function writeDraft(storage: Storage): void {
  const s = useEditor.getState();
  try {
    if (!s.root.nodes.length && !s.saved) storage.removeItem(DRAFT_KEY);
    else {
      // the text of a Draft ({graph, saved, dirty, runs, at}); the graph's reuses what is unchanged
      const text = `{"graph":${graphJson(s.root)},"saved":${JSON.stringify(s.saved)},"dirty":${s.dirty},"runs":${JSON.stringify(s.runs)},"at":${Date.now()}}`;
      storage.setItem(DRAFT_KEY, text);
    }
  } catch {
    /* storage full or disabled: the draft is a convenience, the editor goes on */
  }
}

/** Put the stored draft back in the editor; returns whether there was one. */
export function restoreDraft(storage: Storage = localStorage): boolean {
  const d = readDraft(storage);
  if (!d || !d.graph.nodes.length) return false;
  const s = useEditor.getState();
  s.load(d.graph, d.saved, { dirty: d.dirty, runs: Array.isArray(d.runs) ? d.runs : [] });
  const name = d.graph.name || 'Untitled model';
  const when = new Date(d.at).toLocaleString();
  const state = d.dirty ? 'with its unsaved changes' : `as saved (version ${d.saved?.version ?? '?'})`;
  useEditor.getState().notify(`Restored “${name}” ${state}, from the draft kept in this browser (${when})`);
  return true;
}

/** Run `fn` when the page is idle (soon, at the latest); returns a cancel function. */
function whenIdle(fn: () => void): () => void {
  if (typeof requestIdleCallback === 'function') {
    const id = requestIdleCallback(fn, { timeout: IDLE_TIMEOUT_MS });
    return () => cancelIdleCallback(id);
  }
  const id = setTimeout(fn, 0);
  return () => clearTimeout(id);
}

/**
 * Run `fn` once the graph's check is answered and the page is idle; returns a cancel
 * function. A page waiting on the server counts as idle, but a draft written then takes
 * CPU the server needs for that check when both run on one machine (on NASNetLarge:
 * edits to new marks up to 240 ms instead of 130).
 */
function whenChecked(fn: () => void): () => void {
  if (!useEditor.getState().validating) return whenIdle(fn);
  let stopIdle: (() => void) | null = null;
  const unsubscribe = useEditor.subscribe((s) => {
    if (s.validating || stopIdle) return;
    unsubscribe();
    stopIdle = whenIdle(fn);
  });
  return () => {
    unsubscribe();
    stopIdle?.();
  };
}

/**
 * Keep writing drafts as the graph changes: a quiet `WRITE_DELAY_MS` after the last
 * change, once its check is answered and the page is idle (not while it draws the
 * answer to an edit), and at once when the page goes away. Returns a stop function.
 */
export function keepDrafts(storage: Storage = localStorage): () => void {
  let cancel: (() => void) | null = null;
  const flush = () => {
    cancel?.();
    cancel = null;
    writeDraft(storage);
  };
  const unsubscribe = useEditor.subscribe((s, prev) => {
    if (s.root === prev.root && s.saved === prev.saved && s.dirty === prev.dirty && s.runs === prev.runs) return;
    cancel?.();
    let stopIdle: (() => void) | null = null;
    const timer = setTimeout(() => (stopIdle = whenChecked(flush)), WRITE_DELAY_MS);
    cancel = () => (stopIdle ? stopIdle() : clearTimeout(timer));
  });
  const onHide = () => {
    if (cancel) flush();
  };
  window.addEventListener('pagehide', onHide);
  window.addEventListener('beforeunload', onHide);
  return () => {
    unsubscribe();
    if (cancel) flush();
    window.removeEventListener('pagehide', onHide);
    window.removeEventListener('beforeunload', onHide);
  };
}
