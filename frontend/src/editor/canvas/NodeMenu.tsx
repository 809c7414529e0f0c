/** Right-click menu on a node. */
import {
  callLayerAgain,
  copySelection,
  deleteSelection,
  freezeSelection,
  freezeUpToNode,
  groupSelection,
  toggleBlock,
} from '../store/commands';
import { blocksOf } from '../graph/blocks';
import { currentGraph, useEditor } from '../store/editor';
import { subgraphUsedBy } from '../graph/transforms';

export function NodeMenu(props: { id: string; x: number; y: number; onClose(): void }) {
  const graph = useEditor((s) => currentGraph(s));
  const node = graph.nodes.find((n) => n.id === props.id);
  const count = useEditor((s) => s.selection.length);
  const allFrozen = useEditor((s) =>
    s.selection.every((id) => graph.nodes.find((n) => n.id === id)?.trainable === false),
  );
  if (!node) return null;
  const sub = subgraphUsedBy(node);
  const run = (fn: () => void) => () => {
    fn();
    props.onClose();
  };
  const io = node.type === 'Input' || node.type === 'Output';
  const block = blocksOf(graph).find((b) => b.nodes.includes(node.id))?.name;
  return (
    <div
      className="context-menu"
      style={{ left: props.x, top: props.y }}
      data-testid="node-menu"
      onContextMenu={(e) => e.preventDefault()}
    >
      {!io && <button onClick={run(() => callLayerAgain(props.id))}>Call this layer again (shared weights)</button>}
      {sub && <button onClick={run(() => useEditor.getState().openSubgraph(sub))}>Open model “{sub}”</button>}
      <button onClick={run(() => groupSelection())} disabled={io}>
        Group {count > 1 ? `${count} nodes` : 'node'} into model
      </button>
      {!io && (
        <button onClick={run(() => freezeSelection(!allFrozen))} data-testid="menu-freeze">
          {allFrozen ? 'Unfreeze' : 'Freeze'} {count > 1 ? `${count} nodes` : 'node'}
        </button>
      )}
      {!io && (
        <button onClick={run(() => freezeUpToNode(props.id))} data-testid="menu-freeze-up-to">
          Freeze everything up to here
        </button>
      )}
      {block && <button onClick={run(() => void toggleBlock(block))}>Collapse block “{block}”</button>}
      <button onClick={run(copySelection)}>Copy</button>
      <button onClick={run(deleteSelection)} className="danger">
        Delete
      </button>
    </div>
  );
}
