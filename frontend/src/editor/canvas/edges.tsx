/** Edges: a data edge labelled with its tensor shape, and the dashed tie of a shared layer. */
import { BaseEdge, getBezierPath, Position, useStore, type EdgeProps, type Edge, type Node } from '@xyflow/react';
import { memo } from 'react';
import type { LayerNodeData, ShapeEdgeData } from './flow';
import type { XY } from '../graph/types';

type ShapeEdgeT = Edge<ShapeEdgeData, 'shape'>;
type TieEdgeT = Edge<ShapeEdgeData, 'tie'>;

/**
 * The path of a laid-out skip edge: straight down from the port, through the layout's
 * bend points (its lane beside the nodes it passes), into the target port; the label
 * sits halfway along the longest stretch, in the lane, off the nodes.
 */
export function routedPath(from: XY, bends: XY[], to: XY): [string, number, number] {
  const first = bends[0];
  const last = bends[bends.length - 1];
  const points = [from, { x: from.x, y: first.y }, ...bends, { x: to.x, y: last.y }, to];
  let best = 0;
  let labelX = from.x;
  let labelY = from.y;
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1];
    const b = points[i];
    const len = Math.hypot(b.x - a.x, b.y - a.y);
    if (len > best) [best, labelX, labelY] = [len, (a.x + b.x) / 2, (a.y + b.y) / 2];
  }
  return [`M ${points.map((p) => `${p.x},${p.y}`).join(' L ')}`, labelX, labelY];
}

/**
 * An edge's label: the shape its source's card shows for that output port. Read from the
 * node, so a new answer changes no edge object and React Flow keeps its edge lookups;
 * only the edges whose label changed draw again.
 */
export function edgeLabel(source: Node | undefined, sourceHandle: string | null | undefined): string {
  const port = sourceHandle?.startsWith('out-') ? Number(sourceHandle.slice(4)) : 0;
  return (source?.data as Partial<LayerNodeData> | undefined)?.shapes?.[port] ?? '';
}

function ShapeEdgeView(props: EdgeProps<ShapeEdgeT>) {
  const bends = props.data?.bends;
  const [path, labelX, labelY] = bends?.length
    ? routedPath({ x: props.sourceX, y: props.sourceY }, bends, { x: props.targetX, y: props.targetY })
    : getBezierPath(props);
  const label = useStore((s) => edgeLabel(s.nodeLookup.get(props.source), props.sourceHandleId));
  return (
    <BaseEdge
      id={props.id}
      path={path}
      markerEnd={props.markerEnd}
      className={
        [props.selected ? 'edge-selected' : '', bends?.length ? 'edge-routed' : ''].join(' ').trim() || undefined
      }
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
