/**
 * Adding layers to the canvas: dropped from the palette (spliced into an edge when
 * dropped on one), picked in the search a double click opens, or added with a node
 * selected (`addLayerAt`: connected under it). The mounted canvas tells this module
 * where its view is and how to bring a node into it.
 */
import { useReactFlow } from '@xyflow/react';
import { useCallback, useEffect, useRef, useState, type RefObject } from 'react';
import { freeSpot, spliceIntoEdge } from '../graph/placement';
import { addNode, connect, edgeKey, positionsOf } from '../graph/transforms';
import type { XY } from '../graph/types';
import { initialParams } from '../palette/catalogue';
import { currentGraph, useEditor } from '../store/editor';
import type { Size } from './flow';
import { NODE_HEIGHT, NODE_WIDTH } from './nodeSize';

export const DRAG_MIME = 'application/x-layerforge-layer';

/** Where the double click asked for a layer: on screen (in the canvas) and in the flow. */
export interface SearchAt {
  x: number;
  y: number;
  flow: XY;
}

export function useDropToAdd(canvasRef: RefObject<HTMLDivElement>) {
  const rf = useReactFlow();
  const rfRef = useRef(rf);
  rfRef.current = rf;
  const [search, setSearch] = useState<SearchAt | null>(null);

  const onDragOver = useCallback((e: React.DragEvent) => {
    if (e.dataTransfer.types.includes(DRAG_MIME)) {
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
    }
  }, []);

  const onDrop = useCallback((e: React.DragEvent) => {
    const type = e.dataTransfer.getData(DRAG_MIME);
    if (!type) return;
    e.preventDefault();
    const pos = rfRef.current.screenToFlowPosition({ x: e.clientX, y: e.clientY });
    // placed by hand: no automatic edge, unless dropped on one (then spliced into it)
    const onEdge = document
      .elementsFromPoint(e.clientX, e.clientY)
      .map((el) => el.closest<HTMLElement>('.react-flow__edge')?.dataset.id)
      .find((id) => id && !id.startsWith('tie:'));
    addLayerAt(type, { x: pos.x - NODE_WIDTH / 2, y: pos.y - 30 }, false, onEdge);
  }, []);

  const onDoubleClick = useCallback((e: React.MouseEvent) => {
    if (!(e.target as HTMLElement).classList.contains('react-flow__pane')) return;
    const bounds = (e.currentTarget as HTMLElement).getBoundingClientRect();
    setSearch({
      x: e.clientX - bounds.left,
      y: e.clientY - bounds.top,
      flow: rfRef.current.screenToFlowPosition({ x: e.clientX, y: e.clientY }),
    });
  }, []);

  useEffect(() => {
    revealNode = (id) => {
      // a node just added out of sight: pan (same zoom) so it is in view
      const el = canvasRef.current;
      const node = rfRef.current.getNode(id);
      if (!el || !node) return;
      const { x, y, zoom } = rfRef.current.getViewport();
      const w = node.measured?.width ?? NODE_WIDTH;
      const h = node.measured?.height ?? NODE_HEIGHT;
      const left = node.position.x * zoom + x;
      const top = node.position.y * zoom + y;
      const inView = left >= 0 && top >= 0 && left + w * zoom <= el.clientWidth && top + h * zoom <= el.clientHeight;
      if (!inView)
        void rfRef.current.setCenter(node.position.x + w / 2, node.position.y + h / 2, { zoom, duration: 200 });
    };
    viewCentre = () => {
      const r = canvasRef.current?.getBoundingClientRect();
      if (!r) return { x: 0, y: 0 };
      const c = rfRef.current.screenToFlowPosition({ x: r.left + r.width / 2, y: r.top + r.height / 3 });
      return { x: c.x - NODE_WIDTH / 2, y: c.y };
    };
  }, [canvasRef]);

  return { search, setSearch, onDragOver, onDrop, onDoubleClick };
}

/** Room under a node for the edge into the next one and its shape label. */
const FOLLOW_GAP = 70;

/** Where the visible part of the canvas is centred (set by the mounted canvas). */
let viewCentre: () => XY = () => ({ x: 0, y: 0 });

/** Bring a node into view if it is not (set by the mounted canvas). */
let revealNode: (id: string) => void = () => undefined;

/** A node's size on screen, or the usual size of a card before it is drawn. */
function drawnSize(id: string): Size {
  const el = document.querySelector<HTMLElement>(`.react-flow__node[data-id="${CSS.escape(id)}"]`);
  return el ? { width: el.offsetWidth, height: el.offsetHeight } : { width: NODE_WIDTH, height: NODE_HEIGHT };
}

/**
 * Add a layer of `type` at `position` and select it. With `follow` and one node selected
 * (that has an output), the new layer follows it: connected to its first output, and,
 * without a position of its own, placed under it with room for the edge label (beside
 * what is already there). Dropped `onEdge` (an edge key), it is spliced into that edge.
 * The canvas pans to show it.
 */
export function addLayerAt(type: string, position?: XY, follow = true, onEdge?: string) {
  const s = useEditor.getState();
  const g = currentGraph(s);
  const prev = s.selection.length === 1 ? g.nodes.find((n) => n.id === s.selection[0]) : undefined;
  const follows = follow && prev && prev.type !== 'Output' && type !== 'Input' ? prev : undefined;
  let at = position ?? viewCentre();
  if (follows && !position) {
    const p = positionsOf(g)[follows.id] ?? at;
    at = freeSpot(g, { x: p.x, y: p.y + drawnSize(follows.id).height + FOLLOW_GAP }, drawnSize(''), drawnSize);
  }
  const edge = onEdge ? g.edges.find((e) => edgeKey(e) === onEdge) : undefined;
  let id = '';
  s.edit((graph) => {
    const r = addNode(graph, type, at, { params: initialParams(s.specs.get(type)) });
    id = r.id;
    if (edge) return spliceIntoEdge(r.graph, edge, id);
    if (!follows) return r.graph;
    return connect(r.graph, { source: follows.id, source_port: 0, target: id, target_port: 0 });
  });
  if (!id) return;
  useEditor.getState().setSelection([id]);
  requestAnimationFrame(() => revealNode(id));
}
