/**
 * The frame behind an expanded block of an imported model: its name, size and
 * parameters, and Collapse. Only its title row takes the pointer; the nodes inside and
 * the canvas under it stay as they are.
 */
import type { Node as FlowNode, NodeProps } from '@xyflow/react';
import { memo } from 'react';
import type { BlockFrame } from '../graph/blocks';
import { toggleBlock } from '../store/commands';
import { formatCount, type LayerFlowNode } from './flow';

export type BlockFrameFlowNode = FlowNode<BlockFrame & Record<string, unknown>, 'frame'>;

export const FRAME_PREFIX = 'frame:';

/** Every node the canvas draws: layers, and the frames behind expanded blocks. */
export type CanvasNode = LayerFlowNode | BlockFrameFlowNode;

function BlockFrameView({ data }: NodeProps<BlockFrameFlowNode>) {
  return (
    <div className="block-frame" data-testid={`frame-${data.name}`}>
      <div className="block-frame-head">
        <b>{data.name}</b>
        <span className="muted">
          {data.nodes} layers{data.params != null ? ` · ${formatCount(data.params)} p` : ''}
        </span>
        <button
          className="small ghost nodrag"
          data-testid="block-collapse"
          title="Show this block as one node"
          onClick={(e) => {
            e.stopPropagation();
            void toggleBlock(data.name);
          }}
        >
          Collapse ▴
        </button>
      </div>
    </div>
  );
}

export const BlockFrameNode = memo(BlockFrameView);

/** React Flow nodes for the frames, drawn under every layer node. */
export function frameNodes(frames: BlockFrame[]): BlockFrameFlowNode[] {
  return frames.map((f) => ({
    id: FRAME_PREFIX + f.name,
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
  }));
}
