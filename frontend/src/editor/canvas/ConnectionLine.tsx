/**
 * The line drawn while a connection is dragged: red, with the reason beside the
 * pointer, over a port the editor refuses (see connectionProblem); the same reason
 * shows as a message if the drag is dropped there.
 */
import { getBezierPath, type ConnectionLineComponentProps, type Handle, type InternalNode } from '@xyflow/react';
import { connectionProblem } from '../graph/transforms';
import { currentGraph, useEditor } from '../store/editor';
import type { LayerNodeData } from './flow';
import type { CanvasNode } from './BlockFrameNode';

interface End {
  node: InternalNode | null;
  handle: Handle | null;
}

/** The refusal for a drag from one port to another, either way round; null when allowed. */
export function refusalOf(from: End, to: End): string | null {
  if (!from.node || !from.handle || !to.node || !to.handle) return null;
  const [src, dst] = from.handle.type === 'source' ? [from, to] : [to, from];
  if (!src.handle?.id?.startsWith('out-') || !dst.handle?.id?.startsWith('in-')) return null;
  const port = Number(dst.handle.id.slice(3));
  const data = dst.node!.data as LayerNodeData;
  const names = data.inputNames;
  const portName = data.inputs < 2 ? 'the input' : names?.[port] ? `input “${names[port]}”` : `input ${port}`;
  return connectionProblem(
    currentGraph(useEditor.getState()),
    { source: src.node!.id, source_port: Number(src.handle.id.slice(4)), target: dst.node!.id, target_port: port },
    portName,
  );
}

export function ConnectionLine(props: ConnectionLineComponentProps<CanvasNode>) {
  const [path] = getBezierPath({
    sourceX: props.fromX,
    sourceY: props.fromY,
    sourcePosition: props.fromPosition,
    targetX: props.toX,
    targetY: props.toY,
    targetPosition: props.toPosition,
  });
  const reason = refusalOf(
    { node: props.fromNode, handle: props.fromHandle },
    { node: props.toNode, handle: props.toHandle },
  );
  return (
    <g className={reason ? 'connection-refused' : 'connection-line'} data-testid="connection-line">
      <path d={path} fill="none" />
      {reason && (
        <text x={props.toX + 12} y={props.toY - 10} data-testid="connection-reason">
          {reason}
        </text>
      )}
    </g>
  );
}
