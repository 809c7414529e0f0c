/**
 * The frame behind an expanded block of an imported model (Collapse), or behind the
 * layers of a Model node opened in place (Close, and Edit to open its sub-graph): its
 * name, size and parameters. Only its title row takes the pointer; the nodes inside and
 * the canvas under it stay as they are.
 */
import type { Node as FlowNode, NodeProps } from '@xyflow/react';
import { memo } from 'react';
import type { BlockFrame } from '../graph/blocks';
import { toggleBlock, toggleOpenModel } from '../store/commands';
import { currentGraph, useEditor } from '../store/editor';
import { formatCount, keepIfSame, type LayerFlowNode } from './flow';

export type BlockFrameFlowNode = FlowNode<BlockFrame & Record<string, unknown>, 'frame'>;

export const FRAME_PREFIX = 'frame:';

/** Every node the canvas draws: layers, and the frames behind expanded blocks. */
export type CanvasNode = LayerFlowNode | BlockFrameFlowNode;

function BlockFrameView({ data }: NodeProps<BlockFrameFlowNode>) {
  const model = data.kind === 'model';
  const act = (fn: () => void) => (e: React.MouseEvent) => {
    e.stopPropagation();
    fn();
  };
  return (
    <div className={`block-frame ${data.kind}`} data-testid={`frame-${data.target}`}>
      <div className="block-frame-head">
        <b>{model ? `Model ${data.name}` : data.name}</b>
        <span className="muted">
          {data.nodes} layers{data.params != null ? ` · ${formatCount(data.params)} p` : ''}
        </span>
        {model && (
          <button
            className="small ghost nodrag"
            title="Edit the layers of this model"
            onClick={act(() => {
              const s = useEditor.getState();
              const name = currentGraph(s).nodes.find((n) => n.id === data.target)?.params.subgraph;
              if (typeof name === 'string') s.openSubgraph(name);
            })}
          >
            Edit ▸
          </button>
        )}
        <button
          className="small ghost nodrag"
          data-testid="block-collapse"
          title={model ? 'Show this model as one node' : 'Show this block as one node'}
          onClick={act(() => void (model ? toggleOpenModel(data.target) : toggleBlock(data.target)))}
        >
          {model ? 'Close' : 'Collapse'} ▴
        </button>
      </div>
    </div>
  );
}

export const BlockFrameNode = memo(BlockFrameView);

function frameNode(f: BlockFrame): BlockFrameFlowNode {
  return {
    id: FRAME_PREFIX + f.target,
    type: 'frame',
    position: { x: f.x, y: f.y },
    width: f.width,
    height: f.height,
    style: { width: f.width, height: f.height },
    data: { ...f },
    zIndex: -1,
    selectable: false,
    draggable: false,
    connectable: false,
    focusable: false,
    deletable: false,
  };
}

function sameFrame(a: BlockFrame, b: BlockFrame): boolean {
  return (Object.keys(b) as (keyof BlockFrame)[]).every((k) => a[k] === b[k]);
}

/**
 * React Flow nodes for the frames, drawn under every layer node. A frame whose box, name
 * and counts are unchanged keeps its node object, and the list keeps its identity when
 * no frame changed (see keepIfSame).
 */
export function createFrameMapper(): (frames: BlockFrame[]) => BlockFrameFlowNode[] {
  let byId = new Map<string, BlockFrameFlowNode>();
  let last: BlockFrameFlowNode[] | null = null;
  return (frames) => {
    const next = new Map<string, BlockFrameFlowNode>();
    const nodes = frames.map((f) => {
      const prev = byId.get(FRAME_PREFIX + f.target);
      const node = prev && sameFrame(prev.data, f) ? prev : frameNode(f);
      next.set(node.id, node);
      return node;
    });
    byId = next;
    return (last = keepIfSame(last, nodes));
  };
}
