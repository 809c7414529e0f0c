/** Putting a graph in the editor from the Open dialog's tabs (templates, saved, imports, backbones). */
import { blocksOf, COLLAPSE_ABOVE } from '../graph/blocks';
import type { Graph } from '../graph/types';
import { autoLayout, confirmDiscard } from '../store/commands';
import { useEditor, type SavedRef } from '../store/editor';

/**
 * Put `graph` in the editor once the user agreed to drop unsaved work; returns false
 * when they did not. A graph without a full layout (an import: the server's is a plain
 * column) is laid out here.
 */
export function openGraph(
  graph: Graph,
  action: string,
  opts: { saved?: SavedRef | null; dirty?: boolean; relayout?: boolean } = {},
): boolean {
  if (!confirmDiscard(action)) return false;
  // a big import opens as its blocks (block_3, conv4_block2, ...), each one node
  if (opts.relayout && graph.nodes.length > COLLAPSE_ABOVE && !graph.layout.collapsed) {
    graph = { ...graph, layout: { ...graph.layout, collapsed: blocksOf(graph).map((b) => b.name) } };
  }
  useEditor.getState().load(graph, opts.saved ?? null, { dirty: opts.dirty });
  const g = useEditor.getState().root;
  if (opts.relayout || !g.layout?.positions || Object.keys(g.layout.positions).length < g.nodes.length) {
    void autoLayout({ record: false });
  }
  return true;
}

/** Put an imported graph in the editor: stored nowhere yet, it counts as unsaved work. */
export function openImported(graph: Graph, what: string): boolean {
  if (!openGraph(graph, 'import this model', { dirty: true, relayout: true })) return false;
  useEditor.getState().notify(`Imported ${what} (not saved yet)`);
  return true;
}
