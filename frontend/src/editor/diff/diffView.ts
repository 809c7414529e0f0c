/**
 * What the canvas draws for a diff (POST /api/graphs/diff) of graph `before` (a) and
 * graph `after` (b): b's nodes marked added, changed (with each old value) or unchanged;
 * a's removed nodes as ghosts, placed where they were beside the neighbours they kept;
 * b's new edges and a's removed ones. Pure: the diff canvas maps this to React Flow.
 */
import type { ChangedNode, GraphDiff } from '../../api/wire';
import { formatCount, formatShape, formatValue } from '../canvas/flow';
import { NODE_HEIGHT, NODE_WIDTH } from '../canvas/nodeSize';
import { edgeKey, positionsOf } from '../graph/transforms';
import type { Graph, GraphEdge, GraphNode, NodeId, XY } from '../graph/types';

export type DiffKind = 'added' | 'removed' | 'changed' | 'same';

/** A node's mark in the diff: its kind and, for a changed one, a line per change (old -> new). */
export interface DiffMark {
  kind: DiffKind;
  notes: string[];
}

/** Before a removed node's id: a graph's own ids never hold a '~', so a ghost's cannot clash. */
export const GHOST_PREFIX = 'ghost~';

/** `params.units` -> `units`: the name a person knows the change by. */
function paramLabel(param: string): string {
  return param.startsWith('params.') ? param.slice(7) : param;
}

function shapesText(shapes: (number | null)[][]): string {
  return shapes.map(formatShape).join(' ') || '—';
}

/** One line per change of a matched node: each parameter, then its count and output shapes. */
export function changeNotes(c: ChangedNode): string[] {
  const notes = (c.changes ?? []).map(
    (ch) => `${paramLabel(ch.param)}: ${formatValue(ch.old)} → ${formatValue(ch.new)}`,
  );
  if (c.params) notes.push(`params: ${formatCount(c.params[0])} → ${formatCount(c.params[1])}`);
  if (c.output_shapes) notes.push(`output: ${shapesText(c.output_shapes[0])} → ${shapesText(c.output_shapes[1])}`);
  if (c.a !== c.b) notes.push(`id: ${c.a} → ${c.b}`);
  return notes;
}

/** The mark of every node of `after` (by its id) and of every removed node of `before` (by its ghost id). */
export function diffMarks(after: Graph, diff: GraphDiff): Map<NodeId, DiffMark> {
  const marks = new Map<NodeId, DiffMark>();
  for (const n of after.nodes) marks.set(n.id, { kind: 'same', notes: [] });
  for (const n of diff.added) marks.set(n.id, { kind: 'added', notes: [] });
  for (const c of diff.changed) marks.set(c.b, { kind: 'changed', notes: changeNotes(c) });
  for (const n of diff.removed) marks.set(GHOST_PREFIX + n.id, { kind: 'removed', notes: [] });
  return marks;
}

type Size = { width: number; height: number };

const GAP = 30;

function overlaps(p: XY, boxes: (XY & Size)[], size: Size): (XY & Size) | undefined {
  return boxes.find(
    (b) => p.x < b.x + b.width + GAP && b.x < p.x + size.width + GAP && p.y < b.y + b.height && b.y < p.y + size.height,
  );
}

/**
 * Where each removed node of `before` is drawn in `after`'s frame: its old offset from a
 * neighbour that stayed (a predecessor first), so it sits where it was even when the two
 * graphs were laid out apart; moved right, clear of the nodes drawn, where it would cover one.
 */
export function ghostPositions(
  before: Graph,
  after: Graph,
  diff: GraphDiff,
  size: Size = DEFAULT_SIZE,
): Record<NodeId, XY> {
  const was = positionsOf(before);
  const now = positionsOf(after);
  const boxes = after.nodes.flatMap((n) => (now[n.id] ? [{ ...now[n.id], ...size }] : []));
  const out: Record<NodeId, XY> = {};
  const neighbours = (id: NodeId) => [
    ...before.edges.filter((e) => e.target === id).map((e) => e.source),
    ...before.edges.filter((e) => e.source === id).map((e) => e.target),
  ];
  let fallbackY = Math.max(0, ...Object.values(now).map((p) => p.y + size.height + GAP));
  for (const { id } of diff.removed) {
    const own = was[id];
    const anchor = neighbours(id).find((n) => diff.matched[n] && was[n] && now[diff.matched[n]]);
    let at: XY;
    if (own && anchor) {
      const from = was[anchor];
      const to = now[diff.matched[anchor]];
      at = { x: to.x + own.x - from.x, y: to.y + own.y - from.y };
    } else if (own) at = { ...own };
    else {
      at = { x: 0, y: fallbackY };
      fallbackY += size.height + GAP;
    }
    for (let hit = overlaps(at, boxes, size); hit; hit = overlaps(at, boxes, size)) at.x = hit.x + hit.width + GAP;
    out[GHOST_PREFIX + id] = at;
    boxes.push({ ...at, ...size });
  }
  return out;
}

const DEFAULT_SIZE: Size = { width: NODE_WIDTH, height: NODE_HEIGHT };

/** An edge as the diff canvas draws it: b's ids, or a ghost's for a removed end. */
export interface DiffEdge {
  edge: GraphEdge;
  kind: 'added' | 'removed' | 'same';
}

/** b's edges (new ones marked) and a's removed edges with their ends renamed into b's drawing. */
export function diffEdges(after: Graph, diff: GraphDiff): DiffEdge[] {
  const added = new Set(diff.edges_added.map((e) => edgeKey(e)));
  const removedNodes = new Set(diff.removed.map((n) => n.id));
  const inB = (id: NodeId) => (removedNodes.has(id) ? GHOST_PREFIX + id : diff.matched[id]);
  const out: DiffEdge[] = after.edges.map((edge) => ({ edge, kind: added.has(edgeKey(edge)) ? 'added' : 'same' }));
  for (const e of diff.edges_removed) {
    const source = inB(e.source);
    const target = inB(e.target);
    if (source && target) out.push({ edge: { ...e, source, target }, kind: 'removed' });
  }
  return out;
}

/** The removed nodes as nodes of their own (ghost ids), with the port counts their old edges used. */
export function ghostNodes(before: Graph, diff: GraphDiff): { node: GraphNode; inputs: number; outputs: number }[] {
  const byId = new Map(before.nodes.map((n) => [n.id, n]));
  return diff.removed.flatMap(({ id }) => {
    const node = byId.get(id);
    if (!node) return [];
    const inputs = Math.max(
      node.type === 'Input' ? 0 : 1,
      ...before.edges.filter((e) => e.target === id).map((e) => e.target_port + 1),
    );
    const outputs = Math.max(
      node.type === 'Output' ? 0 : 1,
      ...before.edges.filter((e) => e.source === id).map((e) => e.source_port + 1),
    );
    return [{ node: { ...node, id: GHOST_PREFIX + id, name: node.name ?? id }, inputs, outputs }];
  });
}
