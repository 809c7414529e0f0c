/** The node canvas: React Flow fed from the store through the cached graph mapping. */
import {
  Background,
  ControlButton,
  Controls,
  getViewportForBounds,
  MiniMap,
  ReactFlow,
  useReactFlow,
  type Connection,
  type Edge as FlowEdge,
  type EdgeChange,
  type FinalConnectionState,
  type InternalNode,
  type NodeChange,
  type OnSelectionChangeParams,
  type Viewport,
} from '@xyflow/react';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { createFlowMapper, NODE_WIDTH, type Size } from './flow';
import { addNode, connect, connectionProblem, edgeKey, positionsOf } from '../graph/transforms';
import { freeSpot, spliceIntoEdge } from '../graph/placement';
import { blockFrames, modelFrames } from '../graph/blocks';
import { drawnView } from '../graph/view';
import { useInsideAnswers } from './insideAnswers';
import { BlockFrameNode, createFrameMapper, FRAME_PREFIX, type CanvasNode } from './BlockFrameNode';
import type { XY } from '../graph/types';
import { ConnectionLine, refusalOf } from './ConnectionLine';
import { checkedAnswer, currentGraph, useEditor, type Snapshot } from '../store/editor';
import { initialParams } from '../palette/catalogue';
import { LayerNode } from './LayerNode';
import { ShapeEdge, TieEdge } from './edges';
import { AddNodeSearch } from './AddNodeSearch';
import { NodeMenu } from './NodeMenu';

const nodeTypes = { layer: LayerNode, frame: BlockFrameNode };
const edgeTypes = { shape: ShapeEdge, tie: TieEdge };
const minimapColour = (n: CanvasNode) =>
  n.type === 'frame' ? 'transparent' : n.data.errors.length ? '#ef4444' : n.data.colour || '#94a3b8';

/** Above this many nodes a graph opens at its start instead of fitted to the view. */
const LARGE_GRAPH = 150;

export const DRAG_MIME = 'application/x-layerforge-layer';

/*
 * Props of <ReactFlow> are kept identical between renders (constants here, callbacks
 * below): React Flow copies each changed one into its store, and every such update runs
 * the selectors of every node (the minimap's too), which on a 1,000-node graph costs
 * more than the edit itself.
 */
const MULTI_SELECT_KEYS = ['Shift', 'Meta', 'Control'];
const PRO_OPTIONS = { hideAttribution: true };
const DEFAULT_EDGE_OPTIONS = { type: 'shape' };

export function Canvas() {
  const fullGraph = useEditor((s) => currentGraph(s));
  const checked = useEditor(checkedAnswer);
  // collapsed blocks show as one node each, with their parameters and outgoing shapes
  const inside = useInsideAnswers(fullGraph);
  const { graph, validation, models } = useMemo(
    () => drawnView(fullGraph, checked, inside),
    [fullGraph, checked, inside],
  );
  const specs = useEditor((s) => s.specs);
  const categories = useEditor((s) => s.categories);
  const colours = useMemo(() => new Map(categories.map((c) => [c.id, c.colour])), [categories]);
  const selection = useEditor((s) => s.selection);
  const focusRequest = useEditor((s) => s.focusRequest);
  const loadedAt = useEditor((s) => s.loadedAt);
  const path = useEditor((s) => s.path);
  const rf = useReactFlow();
  const rfRef = useRef(rf);
  rfRef.current = rf;
  // fit a freshly opened graph, again as React Flow measures its nodes (sizes change the fit)
  const fitTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const fitUntil = useRef(0);
  const canvasRef = useRef<HTMLDivElement>(null);
  /** The viewport of the last fit, while the user has not moved it since. */
  const fitted = useRef<Viewport | null>(null);
  /**
   * Fit every node into view. React Flow's own fitView waits until every node has been
   * measured, which never happens for nodes it skips rendering off screen; positions
   * plus known (or estimated) sizes are enough.
   */
  const fitAll = useCallback(() => {
    const el = canvasRef.current;
    const g = drawnView(currentGraph(useEditor.getState()), null).graph;
    if (!el || !g.nodes.length) return;
    const positions = g.layout.positions ?? {};
    let x0 = Infinity,
      y0 = Infinity,
      x1 = -Infinity,
      y1 = -Infinity;
    for (const n of g.nodes) {
      const p = positions[n.id];
      if (!p) continue;
      const size = measured.current.get(n.id) ?? { width: NODE_WIDTH, height: 90 };
      x0 = Math.min(x0, p.x);
      y0 = Math.min(y0, p.y);
      x1 = Math.max(x1, p.x + size.width);
      y1 = Math.max(y1, p.y + size.height);
    }
    if (!Number.isFinite(x0)) return;
    const vp = getViewportForBounds(
      { x: x0, y: y0, width: x1 - x0, height: y1 - y0 },
      el.clientWidth,
      el.clientHeight,
      0.05,
      1.2,
      0.12,
    );
    fitted.current = vp;
    void rfRef.current.setViewport(vp);
  }, []);
  const requestFit = useCallback(() => {
    if (fitTimer.current) clearTimeout(fitTimer.current);
    fitTimer.current = setTimeout(() => fitAll(), 80);
  }, [fitAll]);
  const mapper = useMemo(() => createFlowMapper(), []);
  const frameMapper = useMemo(() => createFrameMapper(), []);
  const measured = useRef(new Map<string, Size>());
  const [measureTick, setMeasureTick] = useState(0);
  const [edgeSelection, setEdgeSelection] = useState<string[]>([]);
  const dragStart = useRef<Snapshot | null>(null);
  const [search, setSearch] = useState<{ x: number; y: number; flow: { x: number; y: number } } | null>(null);
  const [menu, setMenu] = useState<{ id: string; x: number; y: number } | null>(null);

  const selectedSet = useMemo(() => new Set(selection), [selection]);
  const edgeSet = useMemo(() => new Set(edgeSelection), [edgeSelection]);
  const nodes = useMemo(
    () => mapper.nodes(graph, validation, specs, colours, selectedSet, measured.current),
    // eslint-disable-next-line react-hooks/exhaustive-deps -- measureTick: sizes changed in the ref
    [mapper, graph, validation, specs, colours, selectedSet, measureTick],
  );
  const edges = useMemo(() => mapper.edges(graph, edgeSet), [mapper, graph, edgeSet]);
  // frames behind the expanded blocks of an imported model, sized to their nodes
  const frames = useMemo(() => {
    const estimated = new Map(nodes.map((n) => [n.id, n.initialHeight ?? 90]));
    const sizeOf = (id: string) => measured.current.get(id) ?? { width: NODE_WIDTH, height: estimated.get(id) ?? 90 };
    return frameMapper([
      ...blockFrames(graph, fullGraph.layout.collapsed ?? [], sizeOf, validation),
      ...modelFrames(graph, models, sizeOf, validation),
    ]);
  }, [frameMapper, graph, fullGraph, models, validation, nodes]);
  const drawn = useMemo<CanvasNode[]>(() => (frames.length ? [...frames, ...nodes] : nodes), [frames, nodes]);

  useEffect(() => {
    useEditor.getState().setEdgeSelection(edgeSelection);
  }, [edgeSelection]);

  const onNodesChange = useCallback(
    (all: NodeChange<CanvasNode>[]) => {
      // frames are drawn from their nodes: nothing React Flow says about them is kept
      const changes = all.filter((c) => !('id' in c) || !c.id.startsWith(FRAME_PREFIX));
      let sized = false;
      const moved: Record<string, { x: number; y: number }> = {};
      let anyMove = false;
      for (const c of changes) {
        if (c.type === 'dimensions' && c.dimensions) {
          const prev = measured.current.get(c.id);
          if (!prev || prev.width !== c.dimensions.width || prev.height !== c.dimensions.height) {
            measured.current.set(c.id, { width: c.dimensions.width, height: c.dimensions.height });
            sized = true;
          }
        } else if (c.type === 'position' && c.position) {
          moved[c.id] = c.position;
          anyMove = true;
        }
      }
      const selects = changes.filter((c) => c.type === 'select');
      if (selects.length) {
        const cur = new Set(useEditor.getState().selection);
        for (const c of selects) {
          if (c.type !== 'select') continue;
          if (c.selected) cur.add(c.id);
          else cur.delete(c.id);
        }
        useEditor.getState().setSelection([...cur]);
      }
      if (anyMove) useEditor.getState().moveNodes(moved);
      if (sized) {
        setMeasureTick((t) => t + 1);
        if (Date.now() < fitUntil.current) requestFit();
      }
    },
    [requestFit],
  );

  const onEdgesChange = useCallback((changes: EdgeChange[]) => {
    const selects = changes.filter((c) => c.type === 'select');
    if (!selects.length) return;
    setEdgeSelection((prev) => {
      const cur = new Set(prev);
      for (const c of selects) {
        if (c.type !== 'select') continue;
        if (c.selected) cur.add(c.id);
        else cur.delete(c.id);
      }
      return [...cur];
    });
  }, []);

  const onSelectionChange = useCallback(({ edges: es }: OnSelectionChangeParams) => {
    if (!es.length) setEdgeSelection((prev) => (prev.length ? [] : prev));
  }, []);

  const onConnect = useCallback((c: Connection) => {
    if (!c.sourceHandle?.startsWith('out-') || !c.targetHandle?.startsWith('in-')) return;
    useEditor.getState().edit((g) =>
      connect(g, {
        source: c.source,
        source_port: Number(c.sourceHandle!.slice(4)),
        target: c.target,
        target_port: Number(c.targetHandle!.slice(3)),
      }),
    );
  }, []);

  const isValidConnection = useCallback((c: Connection | FlowEdge) => {
    if (!c.sourceHandle?.startsWith('out-') || !c.targetHandle?.startsWith('in-')) return false;
    const edge = {
      source: c.source,
      source_port: Number(c.sourceHandle.slice(4)),
      target: c.target,
      target_port: Number(c.targetHandle.slice(3)),
    };
    return !connectionProblem(currentGraph(useEditor.getState()), edge);
  }, []);

  const onConnectEnd = useCallback((_: MouseEvent | TouchEvent, st: FinalConnectionState<InternalNode>) => {
    if (st.isValid !== false || !st.toHandle) return;
    const reason = refusalOf({ node: st.fromNode, handle: st.fromHandle }, { node: st.toNode, handle: st.toHandle });
    if (reason) useEditor.getState().notify(`Not connected: ${reason}`, 'error');
  }, []);

  const onNodeDragStart = useCallback(() => {
    const s = useEditor.getState();
    dragStart.current = { root: s.root, path: s.path };
  }, []);

  const onNodeDragStop = useCallback(() => {
    if (dragStart.current) useEditor.getState().commitMove(dragStart.current);
    dragStart.current = null;
  }, []);

  const onNodeContextMenu = useCallback((e: React.MouseEvent, node: CanvasNode) => {
    e.preventDefault();
    const bounds = (e.currentTarget as HTMLElement).closest('.canvas')!.getBoundingClientRect();
    if (!useEditor.getState().selection.includes(node.id)) useEditor.getState().setSelection([node.id]);
    setMenu({ id: node.id, x: e.clientX - bounds.left, y: e.clientY - bounds.top });
  }, []);

  const onPaneClick = useCallback(() => {
    setMenu(null);
    setSearch(null);
  }, []);

  const onMove = useCallback((_: unknown, vp: Viewport) => {
    canvasRef.current?.style.setProperty('--port-scale', String(Math.min(4, Math.max(1, 1 / vp.zoom))));
  }, []);

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
    addLayerAt(type, { x: pos.x - 90, y: pos.y - 30 }, false, onEdge);
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
      const h = node.measured?.height ?? 90;
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
  }, []);

  useEffect(() => {
    // a fitted graph stays fitted when the canvas changes size (the dock opens, grows, a
    // tab with a taller dock): unless the view was panned or zoomed since the fit
    const el = canvasRef.current;
    if (!el) return;
    const ro = new ResizeObserver(() => {
      const vp = rfRef.current.getViewport();
      const f = fitted.current;
      if (f && Math.abs(vp.x - f.x) < 0.5 && Math.abs(vp.y - f.y) < 0.5 && Math.abs(vp.zoom - f.zoom) < 1e-3)
        requestFit();
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, [requestFit]);

  useEffect(() => {
    // the node menu closes on Escape and on a press anywhere outside it
    if (!menu) return;
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && setMenu(null);
    const onDown = (e: PointerEvent) => {
      if (!(e.target as Element | null)?.closest?.('[data-testid="node-menu"]')) setMenu(null);
    };
    window.addEventListener('keydown', onKey, true);
    window.addEventListener('pointerdown', onDown, true);
    return () => {
      window.removeEventListener('keydown', onKey, true);
      window.removeEventListener('pointerdown', onDown, true);
    };
  }, [menu]);

  useEffect(() => {
    if (!focusRequest) return;
    const flow = rfRef.current;
    const node = flow.getNode(focusRequest.id);
    if (!node) return;
    const w = node.measured?.width ?? 180;
    const h = node.measured?.height ?? 80;
    flow.setCenter(node.position.x + w / 2, node.position.y + h / 2, {
      zoom: Math.max(flow.getZoom(), 1),
      duration: 300,
    });
  }, [focusRequest]);

  useEffect(() => {
    // a freshly opened graph or sub-graph (not every edit): show all of it once measured
    setMenu(null);
    if (!loadedAt && !path.length) return;
    const flow = rfRef.current;
    const g = drawnView(currentGraph(useEditor.getState()), null).graph;
    if (!g.nodes.length) {
      void flow.setViewport({ x: 0, y: 0, zoom: 1 }); // New: back to the start
      return;
    }
    if (g.nodes.length > LARGE_GRAPH) {
      // a big graph fitted to the screen is unreadable dots, and rendering all of it at
      // once is slow: open it readable, at its first node; the minimap shows the rest
      const first = g.layout.positions?.[g.nodes[0].id] ?? { x: 0, y: 0 };
      flow.setCenter(first.x + NODE_WIDTH / 2, first.y + 300, { zoom: 0.8 });
      return;
    }
    fitUntil.current = Date.now() + 1500;
    requestFit();
  }, [loadedAt, path, requestFit]);

  return (
    <div className="canvas" ref={canvasRef} onDoubleClick={onDoubleClick} data-testid="canvas">
      <ReactFlow
        nodes={drawn}
        edges={edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onSelectionChange={onSelectionChange}
        onConnect={onConnect}
        onConnectEnd={onConnectEnd}
        isValidConnection={isValidConnection}
        connectionLineComponent={ConnectionLine}
        onNodeDragStart={onNodeDragStart}
        onNodeDragStop={onNodeDragStop}
        onNodeContextMenu={onNodeContextMenu}
        onPaneClick={onPaneClick}
        onDragOver={onDragOver}
        onDrop={onDrop}
        deleteKeyCode={null}
        multiSelectionKeyCode={MULTI_SELECT_KEYS}
        selectionKeyCode="Shift"
        zoomOnDoubleClick={false}
        onlyRenderVisibleElements
        minZoom={0.05}
        maxZoom={2.5}
        proOptions={PRO_OPTIONS}
        colorMode="system"
        onMove={onMove}
        defaultEdgeOptions={DEFAULT_EDGE_OPTIONS}
      >
        <Background gap={20} size={1} />
        <MiniMap pannable zoomable nodeColor={minimapColour} nodeStrokeWidth={0} />
        <Controls showInteractive={false} showFitView={false}>
          <ControlButton onClick={fitAll} title="Fit to view" aria-label="Fit to view" className="fit-view">
            <svg viewBox="0 0 16 16" width="12" height="12" aria-hidden="true">
              <path d="M1 5V1h4M11 1h4v4M15 11v4h-4M5 15H1v-4" fill="none" stroke="currentColor" strokeWidth="1.6" />
            </svg>
          </ControlButton>
        </Controls>
      </ReactFlow>
      {graph.nodes.length === 0 && (
        <div className="canvas-empty">
          <h2>Start a model</h2>
          <p>Drag a layer from the palette, double-click the canvas to search, or open a template.</p>
        </div>
      )}
      {search && (
        <AddNodeSearch
          x={search.x}
          y={search.y}
          onPick={(type) => {
            addLayerAt(type, search.flow);
            setSearch(null);
          }}
          onClose={() => setSearch(null)}
        />
      )}
      {menu && <NodeMenu id={menu.id} x={menu.x} y={menu.y} onClose={() => setMenu(null)} />}
    </div>
  );
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
  return el ? { width: el.offsetWidth, height: el.offsetHeight } : { width: NODE_WIDTH, height: 90 };
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
