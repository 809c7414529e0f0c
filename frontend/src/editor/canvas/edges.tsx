/** Edges: a data edge labelled with its tensor shape, and the dashed tie of a shared layer. */
import { BaseEdge, getBezierPath, Position, type EdgeProps, type Edge } from '@xyflow/react';
import { memo } from 'react';
import type { ShapeEdgeData } from './flow';

type ShapeEdgeT = Edge<ShapeEdgeData, 'shape'>;
type TieEdgeT = Edge<ShapeEdgeData, 'tie'>;

function ShapeEdgeView(props: EdgeProps<ShapeEdgeT>) {
  const [path, labelX, labelY] = getBezierPath(props);
  const label = props.data?.label;
  return (
    <BaseEdge
      id={props.id}
      path={path}
      markerEnd={props.markerEnd}
      className={props.selected ? 'edge-selected' : undefined}
      label={label || undefined}
      labelX={labelX}
      labelY={labelY}
      labelShowBg
      labelBgPadding={[4, 2]}
      labelBgBorderRadius={3}
      labelStyle={{ fontSize: 10, fontFamily: 'var(--mono)', fill: 'var(--edge-label)' }}
      labelBgStyle={{ fill: 'var(--edge-label-bg)' }}
      interactionWidth={12}
    />
  );
}

function TieEdgeView(props: EdgeProps<TieEdgeT>) {
  // from the owner's right side to the call site's left side, dashed: "same layer"
  const [path] = getBezierPath({
    sourceX: props.sourceX,
    sourceY: props.sourceY,
    sourcePosition: Position.Right,
    targetX: props.targetX,
    targetY: props.targetY,
    targetPosition: Position.Left,
  });
  return <path d={path} className="tie-edge" fill="none" data-testid="tie-edge" />;
}

export const ShapeEdge = memo(ShapeEdgeView);
export const TieEdge = memo(TieEdgeView);
