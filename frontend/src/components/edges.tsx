/** Edges: a data edge labelled with its tensor shape, and the dashed tie of a shared layer. */
import { BaseEdge, getBezierPath, type EdgeProps, type Edge } from '@xyflow/react';
import { memo } from 'react';
import type { ShapeEdgeData } from '../graph/flow';

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
  const dx = Math.max(60, Math.abs(props.targetY - props.sourceY) / 3);
  const path = `M ${props.sourceX} ${props.sourceY} C ${props.sourceX + dx} ${props.sourceY}, ${props.targetX + dx} ${props.targetY}, ${props.targetX} ${props.targetY}`;
  return <path d={path} className="tie-edge" fill="none" data-testid="tie-edge" />;
}

export const ShapeEdge = memo(ShapeEdgeView);
export const TieEdge = memo(TieEdgeView);
